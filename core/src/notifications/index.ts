export * from './notification-target';
export * from './notification.queue';
export * from './notification-delivery.store';
export * from './notification.outbox';
export * from './run-note.store';
