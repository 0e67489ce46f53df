export * from './notification-target';
export * from './notification.queue';
export * from './notification-deliveries.queries';
export * from './notification.outbox';
