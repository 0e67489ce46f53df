import { spawn } from 'node:child_process';
import { track, untrack } from './leak-check';
import { freePort, until } from './processes';
import { startStack } from './stack';

/** A Redis of a test's own on `port` (the shared one must not go down under other test files); `kill` is SIGKILL. */
export async function startRedisServer(port: number) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const handle = track({ child }, `redis-server :${port}`);
  await until(async () => {
    const res = await fetch(`http://127.0.0.1:${port}`).catch((e: Error & { cause?: { code?: string } }) => e.cause?.code);
    return res !== 'ECONNREFUSED';
  }, 'redis to listen');
  return {
    async kill() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      untrack(handle);
    },
  };
}

/** A stack (a server and one worker) on a Redis of its own, which a test may kill and start again on the same port. */
export async function startStackOnOwnRedis() {
  const port = await freePort();
  let redis = await startRedisServer(port);
  const stack = await startStack({ redisUrl: `redis://127.0.0.1:${port}`, workers: 1 });
  return {
    stack,
    killRedis: () => redis.kill(),
    async startRedis() {
      redis = await startRedisServer(port);
    },
    async stop() {
      await stack.stop();
      await redis.kill();
    },
  };
}
