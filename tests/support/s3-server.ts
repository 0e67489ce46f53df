import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT, spawnProcess, until } from './processes';

/** The credentials the local S3-compatible server accepts (s3rver's own). */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * A real S3-compatible HTTP server (s3rver) in a process of its own, storing
 * to a temporary folder, with one empty bucket: no Docker, no network. Being
 * another process, it weighs nothing in the memory a test measures.
 */
export async function startS3Server(bucket = 'jobflow-artifacts') {
  const directory = mkdtempSync(path.join(tmpdir(), 'jobflow-s3-'));
  const port = await freePort();
  const script = `
    const S3rver = require('s3rver');
    new S3rver({ port: ${port}, address: '127.0.0.1', silent: true, directory: ${JSON.stringify(directory)}, configureBuckets: [{ name: ${JSON.stringify(bucket)} }] })
      .run().then(() => console.log('listening'), (e) => { console.error(e); process.exit(1); });`;
  const proc = spawnProcess(process.execPath, ['-e', script], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '' } }, `s3rver :${port}`);
  await until(() => proc.output().includes('listening'), 's3rver to listen', 30_000);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    directory,
    /** The settings that point Jobflow's processes at this bucket. */
    env: {
      ARTIFACTS_STORE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
    },
    /** Every object file s3rver keeps on disk, so a test can see what is in the bucket without asking it. */
    objectFiles: (): string[] =>
      readdirSync(directory, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('._S3rver_object'))
        .map((e) => path.join(e.parentPath, e.name)),
    async stop() {
      await proc.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
