/**
 * The Jobflow client: every REST endpoint, live subscriptions over Socket.IO,
 * `followRun` and `watch`, with the contract's types.
 */
export * from '@jobflow/shared/client';
