export * from './errors';
export * from './email';
export * from './dto';
export * from './events';
export * from './job-types/index';
export * from './params';
export * from './params-errors';
export * from './client/index';
