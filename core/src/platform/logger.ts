import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import pino from 'pino';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';
export type LogFields = Record<string, unknown>;

/** A leveled logger: one structured line per call, with the fields given and those bound by `child`. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose every line also carries `bindings` (a run's id and attempt, a worker's id...). */
  child(bindings: LogFields): Logger;
  /** Whether lines of `level` are written at all (to skip building costly fields). */
  isEnabled(level: Level): boolean;
}

export interface LoggerOptions {
  /** `json` (one object per line) or `pretty` (readable; needs the pino-pretty development package). Default: json. */
  format?: LogFormat;
  /** Where lines go (default: stderr, written synchronously so nothing is lost on exit). */
  destination?: pino.DestinationStream;
}

/**
 * Field names whose values never reach the output, at any depth up to four:
 * credentials in request headers, bodies, configuration or errors.
 */
const SECRET_FIELDS = ['password', 'token', 'secret', 'authorization', 'cookie', 'set-cookie', 'jwtSecret', 'metricsToken', 'apiKey', 'x-api-key'];
const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => {
  const isPlain = /^[A-Za-z_$][\w$]*$/.test(field);
  const under = (parent: string) => (isPlain ? (parent ? `${parent}.${field}` : field) : `${parent}["${field}"]`);
  return ['', '*', '*.*', '*.*.*'].map(under);
});

const context = new AsyncLocalStorage<LogFields>();

/**
 * Runs `fn` so that every line any logger writes within it, however deep in
 * its async calls, also carries `fields` (a request's id, for instance).
 */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  return context.run(fields, fn);
}

/** pino-pretty when it is installed (a development dependency), else null: production writes JSON. */
function prettyStream(): pino.DestinationStream | null {
  try {
    const pretty = createRequire(import.meta.url)('pino-pretty') as (opts: Record<string, unknown>) => pino.DestinationStream;
    return pretty({
      sync: true,
      destination: 2,
      colorize: Boolean(process.stderr.isTTY),
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    });
  } catch {
    return null;
  }
}

const wrap = (p: pino.Logger): Logger => ({
  debug: (msg, fields) => (fields ? p.debug(fields, msg) : p.debug(msg)),
  info: (msg, fields) => (fields ? p.info(fields, msg) : p.info(msg)),
  warn: (msg, fields) => (fields ? p.warn(fields, msg) : p.warn(msg)),
  error: (msg, fields) => (fields ? p.error(fields, msg) : p.error(msg)),
  child: (bindings) => lazyChild(p, bindings),
  isEnabled: (level) => p.isLevelEnabled(level),
});

/**
 * A child made on its first line: a worker makes one per attempt, and pino
 * serializes (and redacts) the bindings of a child when it is made, which
 * most attempts, logging nothing, would pay for nothing.
 */
function lazyChild(parent: pino.Logger, bindings: LogFields): Logger {
  let made: Logger | null = null;
  const get = () => (made ??= wrap(parent.child(bindings)));
  const at =
    (level: Level) =>
    (msg: string, fields?: LogFields): void => {
      if (parent.isLevelEnabled(level)) get()[level](msg, fields);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => lazyChild(parent, { ...bindings, ...more }),
    isEnabled: (level) => parent.isLevelEnabled(level),
  };
}

/**
 * A logger named `name` (the process role) that writes lines of `level` and
 * above: JSON with ISO times and level names, or readable text for a
 * developer. Credentials are redacted wherever they appear in the fields.
 */
export function createLogger(name: string, level: Level = 'info', opts: LoggerOptions = {}): Logger {
  const destination = opts.destination ?? (opts.format === 'pretty' ? prettyStream() : null) ?? pino.destination({ fd: 2, sync: true });
  const p = pino(
    {
      name,
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: pino.stdSerializers.err, err: pino.stdSerializers.err },
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      // pino merges each line's fields into what the mixin returns: hand it a copy.
      mixin: () => ({ ...context.getStore() }),
    },
    destination,
  );
  return wrap(p);
}
