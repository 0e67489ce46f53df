export * from './live.publisher';
