export * from './orm';
export * from './db-access';
export * from './batcher';
export * from './sql';
export * from './entities';
export * from './pool-counts';
export * from './stored-secrets';
