export * from './schedule-times';
export * from './schedule-fire.store';
export * from './schedule-nudge';
export * from './scheduler';
