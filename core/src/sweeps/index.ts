export * from './lease';
export * from './sweeper';
export * from './sweep-leases.queries';
