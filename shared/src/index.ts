export * from './errors';
export * from './dto';
export * from './events';
export * from './job-types/index';
export * from './params';
export * from './schedule-rules';
export * from './system-lines';
export * from './client/index';
