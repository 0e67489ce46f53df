export * from './run-row';
export * from './run.events';
export * from './run.batches';
export * from './run.engine';
export * from './run.reconciler';
export { countRuns } from './sql/count-runs.queries';
export type { RunListFilter } from './sql/list-runs.queries';
