export { createNotifier } from './notifier';
export { signBody, SIGNATURE_HEADER } from './webhook.sender';
