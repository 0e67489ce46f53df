export * from './env';
export * from './logger';
export * from './preflight';
export * from './redis';
export * from './egress';
export * from './secrets';
export * from './secret-params';
