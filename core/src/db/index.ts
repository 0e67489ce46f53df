export * from './connection';
export * from './statement';
export * from './db.pool';
export * from './orm';
export * from './batcher';
export * from './values';
export * from './entities';
export * from './stored-secrets.queries';
