export * from './run.store';
export * from './run.batches';
export * from './run.lifecycle';
export * from './run.reconciler';
export * from './run-counts.store';
