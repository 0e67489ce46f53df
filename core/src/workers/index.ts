export * from './workers.queries';
export * from './worker-control.channel';
export * from './worker.presence';
export * from './worker-sweep';
