export { createWorker, type Worker } from './worker';
export { loadWorkerConfig, type WorkerConfig } from './config';
