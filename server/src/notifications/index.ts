export { resolveNotificationTargets } from './notification-targets';
