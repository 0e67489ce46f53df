export * from './artifact-errors';
export * from './artifacts';
export type { ArtifactRow, ArtifactStoreKind } from './artifacts.queries';
export type { S3Options } from './s3.content';
export { CHUNK_BYTES } from './postgres.content';
