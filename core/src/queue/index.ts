export * from './run.queue';
export * from './run-cancel.channel';
