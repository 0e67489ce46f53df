export * from './run.queue';
