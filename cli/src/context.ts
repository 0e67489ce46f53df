import { createInterface } from 'node:readline';
import type { JobflowClient, RetryNotice, RetryOptions } from '@jobflow/shared/client';
import { readStoredConfig, resolveConnection, type CliEnv, type Connection, type StoredConfig } from './config';
import { note, type Output } from './output';
import { UsageError } from './args';
import { loadClientLibrary } from './client-library';
import { httpFetch } from './http-fetch';

/** What a command runs with: its environment, its output, and ways to reach the server and the user. */
export interface Context {
  env: CliEnv;
  o: Output;
  /** The stored login, if any. */
  storedConfig(): Promise<StoredConfig | null>;
  /** The server and token to use. */
  connection(): Promise<Connection>;
  /** A client for the configured server; fails with `unauthorized` when there is no token at all. */
  client(): Promise<JobflowClient>;
  /** A client for any server and token (closed with the others). */
  clientFor(url: string, token: string | null): Promise<JobflowClient>;
  /** Asks on stderr and reads one line from stdin; a secret is not echoed on a terminal. */
  prompt(question: string, options?: { isSecret?: boolean }): Promise<string>;
  /** All of stdin. */
  readStdin(): Promise<string>;
  /** Runs `handler` on Ctrl-C or SIGTERM instead of dying at once; a second signal still ends the process. */
  onInterrupt(handler: () => void): () => void;
}

export interface ContextIo {
  env: CliEnv;
  o: Output;
  /** `--json`: stderr carries only the JSON error, so no notes go there. */
  isJson: boolean;
  /** Opened only when a command reads stdin. */
  stdin: () => NodeJS.ReadStream;
}

/** Builds the context and returns it with `dispose`, which closes every client it made. */
export function createContext({ env, o, isJson, stdin: openStdin }: ContextIo): { ctx: Context; dispose(): void } {
  const clients: JobflowClient[] = [];
  let input: NodeJS.ReadStream | null = null;
  const stdin = () => (input ??= openStdin());
  let stored: Promise<StoredConfig | null> | null = null;
  let lines: AsyncIterator<string> | null = null;
  const interruptHandlers = new Set<() => void>();
  let interrupts = 0;

  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1 || interruptHandlers.size === 0) process.exit(130);
    for (const handler of interruptHandlers) handler();
  };

  const track = (client: JobflowClient) => {
    clients.push(client);
    return client;
  };

  const ctx: Context = {
    env,
    o,
    storedConfig: () => (stored ??= readStoredConfig(env.configFile)),
    connection: async () => resolveConnection(env, await ctx.storedConfig()),
    async client() {
      const { url, token } = await ctx.connection();
      if (!token) {
        const { ApiClientError } = await loadClientLibrary();
        throw new ApiClientError('unauthorized', 'Not signed in: run "jobflow login", or set JOBFLOW_URL and JOBFLOW_TOKEN.', 401);
      }
      return ctx.clientFor(url, token);
    },
    async clientFor(url, token) {
      const { createClient } = await loadClientLibrary();
      return track(createClient({ url, token, fetch: httpFetch, retry: retryOptions(env, o, isJson) }));
    },
    async prompt(question, options = {}) {
      if (stdin().isTTY) return options.isSecret ? readSecret(stdin(), o.err, question) : readVisible(stdin(), o.err, question);
      // Piped answers, one per line; the questions would only clutter stderr.
      lines ??= createInterface({ input: stdin(), crlfDelay: Infinity })[Symbol.asyncIterator]();
      const next = await lines.next();
      if (next.done) throw new UsageError(`stdin ended before the answer to "${question.trim()}"`);
      return next.value;
    },
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin()) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
    onInterrupt(handler) {
      if (interruptHandlers.size === 0) {
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }
      interruptHandlers.add(handler);
      return () => {
        interruptHandlers.delete(handler);
        if (interruptHandlers.size === 0) {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      };
    },
  };

  return {
    ctx,
    dispose() {
      for (const client of clients.splice(0)) client.close();
      interruptHandlers.clear();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      input?.pause();
    },
  };
}

/**
 * `JOBFLOW_RETRY_SEC` as the client's retry options. The first retry of a
 * request is noted on stderr, so that a command waiting out a restart does
 * not look hung.
 */
function retryOptions(env: CliEnv, o: Output, isJson: boolean): RetryOptions | false {
  if (Number.isNaN(env.retrySec)) throw new UsageError('JOBFLOW_RETRY_SEC must be a whole number of seconds (0: never try a request again).');
  if (env.retrySec === 0) return false;
  const onRetry = (retry: RetryNotice) => {
    if (retry.attempt === 1 && !isJson) {
      note(o, `${retry.method} ${retry.path}: ${retry.reason}; trying again for up to ${Math.ceil((retry.remainingMs + retry.delayMs) / 1000)} s`);
    }
  };
  return { maxElapsedMs: env.retrySec * 1000, onRetry };
}

function readVisible(stdin: NodeJS.ReadStream, err: Output['err'], question: string): Promise<string> {
  const rl = createInterface({ input: stdin, output: err as NodeJS.WritableStream, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}

/** Reads a line in raw mode without echoing it; Ctrl-C aborts with exit 130. */
function readSecret(stdin: NodeJS.ReadStream, err: Output['err'], question: string): Promise<string> {
  err.write(question);
  return new Promise((resolve) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      err.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          done();
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
