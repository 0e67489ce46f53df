export * from './schedule-times';
export * from './schedule-fires.queries';
export * from './schedule-nudge';
export * from './scheduler';
export * from './upcoming.queries';
