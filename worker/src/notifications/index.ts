export { createNotifier, NOTIFICATION_SWEEP_MS } from './notifier';
export { signBody, SIGNATURE_HEADER } from './webhook.sender';
