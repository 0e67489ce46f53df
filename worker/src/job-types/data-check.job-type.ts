import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { jobTypeInfos, type ParamsOf } from '@jobflow/shared';
import { CsvParser, CsvRecordTooLargeError, type CsvRecord } from './data-check-csv';
import { JsonRowSplitter, JsonSyntaxError, type JsonRow } from './data-check-json';
import { DATA_CHECK_RULES, RowRules, type DataCheckRule } from './data-check-rules';
import { matchBudget } from './data-check-pattern';
import { NonRetryableError, type JobContext, type JobHandler } from './job-handler';
import type { Egress } from '@jobflow/core/platform';
import { sendRequest, type HttpAccessOptions } from './http-request';

export type DataCheckParams = ParamsOf<(typeof jobTypeInfos)['data-check']>;

/** What a data check leaves as the run's result, whether it passed or failed. */
export interface DataCheckSummary extends Record<string, unknown> {
  /** Data rows read (a CSV header is not a row). */
  rows: number;
  violations: number;
  /** Violations per rule kind; every kind is present. */
  byRule: Record<DataCheckRule, number>;
  format: DataFormat;
}

type DataFormat = 'csv' | 'json';

/** Default total time a run's guarded pattern matches may take (DATA_CHECK_PATTERN_BUDGET_MS). */
export const DEFAULT_PATTERN_BUDGET_MS = 30_000;
/** Checking rows yields to the event loop once it has held it this long, so other runs and heartbeats go on. */
const SLICE_MS = 40;

export interface DataCheckOptions extends HttpAccessOptions {
  /** Total time the run's guarded pattern matches may take; past it the run fails. */
  patternBudgetMs?: number;
}

/** Characters of inline content handed to the parser at a time, between turns of the event loop. */
const INLINE_CHUNK_CHARS = 64 * 1024;

/**
 * Builds the `data-check` handler. The document URL and its redirects go through the
 * worker's egress policy, as for the `http` type.
 *
 * The document is streamed: memory holds one chunk, one row, and for each unique key a
 * 16-byte digest per distinct value (see KeyDigestSet: at most ~43 bytes per key).
 */
export function createDataCheckHandler({ egress, patternBudgetMs = DEFAULT_PATTERN_BUDGET_MS }: DataCheckOptions): JobHandler<DataCheckParams> {
  return async (ctx) => {
    const { params, signal } = ctx;
    const rules = new RowRules(params, matchBudget(patternBudgetMs));
    // Rows are checked after the parser hands them over, a time slice at a time (see `checkPending`).
    const pending: (() => void)[] = [];
    const violationsFile = await openViolationsFile();
    const tally = new ViolationTally(ctx, params.maxLoggedViolations ?? 1000, violationsFile.write);
    const maxViolations = params.maxViolations ?? 0;
    const delimiter = params.delimiter ?? ',';
    let format: DataFormat | undefined = params.format === 'csv' || params.format === 'json' ? params.format : undefined;
    let rows = 0;

    const summary = (): DataCheckSummary => ({ rows, violations: tally.violations, byRule: { ...tally.byRule }, format: format ?? 'csv' });

    let parser: { push(text: string): void; end(): void } | undefined;
    const startParser = (chosen: DataFormat): void => {
      format = chosen;
      if (chosen === 'csv') {
        let header: Map<string, number> | undefined;
        let width = 0;
        parser = new CsvParser(
          (record) => {
            if (!header) {
              header = readHeader(record, rules.requiredColumns, tally);
              width = record.fields.length;
              return;
            }
            const row = ++rows;
            pending.push(() => checkCsvRow(record, row, header!, width, rules, tally));
          },
          { delimiter },
        );
      } else {
        parser = new JsonRowSplitter((json) => {
          const row = ++rows;
          pending.push(() => checkJsonRow(json, row, rules, tally));
        });
      }
    };

    try {
      return await check();
    } finally {
      await violationsFile.remove();
    }

    async function check(): Promise<DataCheckSummary> {
      const source = params.url !== undefined ? await openUrl(ctx, params.url, params.headers, egress) : openInline(params.content ?? '', signal);
      const progress = new ProgressThrottle(ctx, source.totalBytes);
      let sniffed = '';
      try {
        for await (const chunk of source.chunks) {
          signal.throwIfAborted();
          progress.add(chunk.bytes);
          if (!parser) {
            format ??= formatFromHints(source.contentType, source.path);
            if (format) {
              startParser(format);
            } else {
              // Hold text until its first non-blank character says which format it is.
              sniffed += chunk.text;
              const first = /\S/.exec(sniffed)?.[0];
              if (first === undefined) continue;
              startParser(first === '[' || first === '{' ? 'json' : 'csv');
              chunk.text = sniffed;
              sniffed = '';
            }
          }
          parser?.push(chunk.text);
          await checkPending(pending, signal);
        }
        // A document that is empty or blank has no rows in either format.
        if (!parser) startParser(format ?? 'csv');
        parser?.end();
        await checkPending(pending, signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (error instanceof JsonSyntaxError || error instanceof CsvRecordTooLargeError) {
          throw new NonRetryableError(`invalid ${format === 'json' ? 'JSON' : 'CSV'} document: ${error.message}`, summary());
        }
        throw error;
      }

      const result = summary();
      if (result.violations > 0) await violationsFile.attach(ctx);
      const counts = DATA_CHECK_RULES.filter((rule) => result.byRule[rule] > 0).map((rule) => `${rule} ${result.byRule[rule]}`);
      ctx.log(`checked ${plural(rows, 'row')} (${result.format}): ${plural(result.violations, 'violation')}${counts.length ? ` (${counts.join(', ')})` : ''}`);
      if (result.violations > maxViolations) {
        // Not retried: another attempt would read the same document and log the same lines again.
        throw new NonRetryableError(`${plural(result.violations, 'violation')}, more than the ${maxViolations} allowed`, result);
      }
      ctx.progress(1);
      return result;
    }
  };
}

/** A CSV field, quoted when it holds a delimiter, a quote or a line break. */
const csvField = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/**
 * Every violation (not only the logged ones) as CSV (`rule,message`), written
 * to a temporary file as found and attached to the run as `violations.csv`
 * at the end, so memory holds none of them.
 */
async function openViolationsFile() {
  const dir = await mkdtemp(path.join(tmpdir(), 'jobflow-data-check-'));
  const file = path.join(dir, 'violations.csv');
  const out = createWriteStream(file);
  out.write('rule,message\n');
  let isEnded = false;
  const end = async () => {
    if (isEnded) return;
    isEnded = true;
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  };
  return {
    write: (rule: DataCheckRule, message: string) => void out.write(`${rule},${csvField(message)}\n`),
    async attach(ctx: Pick<JobContext<unknown>, 'artifact' | 'log'>) {
      await end();
      try {
        await ctx.artifact('violations.csv', createReadStream(file), { contentType: 'text/csv' });
      } catch (e) {
        ctx.log(`violations.csv not attached: ${(e as Error).message}`, 'stderr');
      }
    },
    async remove() {
      await end().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * Checks the rows the parser handed over, in order, yielding to the event
 * loop whenever it has been held for SLICE_MS: a row costs at most a few
 * guarded matches of GUARDED_MATCH_TIMEOUT_MS each, so user input never
 * stalls the worker's other runs or its heartbeat for long.
 */
async function checkPending(pending: (() => void)[], signal: AbortSignal): Promise<void> {
  let sliceStart = performance.now();
  for (let i = 0; i < pending.length; i++) {
    if (performance.now() - sliceStart >= SLICE_MS) {
      await nextTurn();
      signal.throwIfAborted();
      sliceStart = performance.now();
    }
    pending[i]!();
  }
  pending.length = 0;
}

/** Counts violations by rule and logs them, up to a cap, one line each. */
class ViolationTally {
  violations = 0;
  readonly byRule = Object.fromEntries(DATA_CHECK_RULES.map((rule) => [rule, 0])) as Record<DataCheckRule, number>;

  constructor(
    private readonly ctx: Pick<JobContext<unknown>, 'log'>,
    private readonly maxLogged: number,
    private readonly record: (rule: DataCheckRule, message: string) => void,
  ) {}

  readonly report = (rule: DataCheckRule, message: string): void => {
    this.record(rule, message);
    this.violations++;
    this.byRule[rule]++;
    if (this.violations <= this.maxLogged) this.ctx.log(message);
    else if (this.violations === this.maxLogged + 1) {
      this.ctx.log(`more violations are counted but not logged (maxLoggedViolations is ${this.maxLogged})`);
    }
  };
}

/** Reads the CSV header: column positions (first occurrence wins) and header-level violations. */
function readHeader(record: CsvRecord, requiredColumns: readonly string[], tally: ViolationTally): Map<string, number> {
  const where = `header (line ${record.line})`;
  const header = new Map<string, number>();
  record.fields.forEach((name, index) => {
    if (header.has(name)) tally.report('structure', `${where}: column "${name}" appears more than once`);
    else header.set(name, index);
  });
  if (record.problem) tally.report('structure', `${where}: ${record.problem}`);
  for (const name of requiredColumns) {
    if (!header.has(name)) tally.report('required', `${where}: missing required column "${name}"`);
  }
  return header;
}

function checkCsvRow(record: CsvRecord, row: number, header: Map<string, number>, width: number, rules: RowRules, tally: ViolationTally): void {
  const where = `row ${row} (line ${record.line})`;
  const { fields } = record;
  if (record.problem) tally.report('structure', `${where}: ${record.problem}`);
  if (fields.length !== width) tally.report('structure', `${where}: ${fields.length} fields, the header has ${width}`);
  rules.check(
    (column) => {
      const index = header.get(column);
      return index === undefined ? undefined : fields[index];
    },
    'csv',
    where,
    tally.report,
  );
}

function checkJsonRow(row: JsonRow, index: number, rules: RowRules, tally: ViolationTally): void {
  const where = `row ${index} (line ${row.line})`;
  const { value } = row;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    tally.report('structure', `${where}: not an object but ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const name of rules.requiredColumns) {
    if (!Object.hasOwn(record, name)) tally.report('required', `${where}: missing required column "${name}"`);
  }
  rules.check((column) => (Object.hasOwn(record, column) ? record[column] : undefined), 'json', where, tally.report);
}

interface Chunk {
  text: string;
  /** Input consumed for this text: bytes for a URL, characters for inline content. */
  bytes: number;
}

interface Source {
  chunks: AsyncIterable<Chunk>;
  /** Size of the whole input in the unit of `Chunk.bytes`, when known. */
  totalBytes?: number;
  contentType?: string;
  path?: string;
}

function openInline(text: string, signal: AbortSignal): Source {
  const content = text.startsWith('\uFEFF') ? text.slice(1) : text; // as TextDecoder does for fetched documents
  async function* chunks(): AsyncGenerator<Chunk> {
    for (let at = 0; at < content.length; at += INLINE_CHUNK_CHARS) {
      signal.throwIfAborted();
      const text = content.slice(at, at + INLINE_CHUNK_CHARS);
      yield { text, bytes: text.length };
      await nextTurn();
    }
  }
  return { chunks: chunks(), totalBytes: content.length };
}

/** Statuses worth another attempt: the server may answer differently later. */
const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

async function openUrl(ctx: JobContext<unknown>, target: string, headers: Readonly<Record<string, string>> | undefined, egress: Egress): Promise<Source> {
  ctx.log(`GET ${target}`);
  const { response, url } = await sendRequest(target, {
    method: 'GET',
    headers,
    signal: ctx.signal,
    followRedirects: true,
    egress,
    onRedirect: (status, location) => ctx.log(`${status} redirect to ${location.href}`),
  }).catch((error: unknown) => {
    throw ctx.signal.aborted ? ctx.signal.reason : error;
  });
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  // With a Content-Encoding the declared length counts compressed bytes, not the ones read.
  const totalBytes = response.headers.has('content-encoding') || !Number.isFinite(declared) ? undefined : declared;
  ctx.log(`${response.status}${response.statusText ? ` ${response.statusText}` : ''}${totalBytes === undefined ? '' : `, ${totalBytes} bytes`}`);
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    const message = `could not fetch the document: status ${response.status}`;
    throw TRANSIENT_STATUSES.has(response.status) ? new Error(message) : new NonRetryableError(message);
  }
  const body = response.body;

  async function* chunks(): AsyncGenerator<Chunk> {
    const reader = body.getReader();
    const decoder = new TextDecoder('utf-8');
    try {
      for (;;) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch (error) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          throw new Error(`reading the document from ${url.origin} failed: ${causeMessage(error)}`, { cause: error });
        }
        if (read.done) break;
        yield { text: decoder.decode(read.value, { stream: true }), bytes: read.value.length };
      }
      const rest = decoder.decode();
      if (rest) yield { text: rest, bytes: 0 };
    } finally {
      // Stops the download when checking ends early (abort, a fatal error).
      await reader.cancel().catch(() => undefined);
    }
  }
  return { chunks: chunks(), totalBytes, contentType: response.headers.get('content-type') ?? undefined, path: url.pathname };
}

const causeMessage = (error: unknown): string => {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
};

/** The format named by a Content-Type, or failing that by the URL's extension. */
export function formatFromHints(contentType: string | undefined, path: string | undefined): DataFormat | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/csv' || type === 'application/csv' || type === 'text/comma-separated-values') return 'csv';
  if (/[/+](?:json|x-ndjson|ndjson|jsonl|x-jsonlines|json-seq)$/.test(type)) return 'json';
  if (path && /\.csv$/i.test(path)) return 'csv';
  if (path && /\.(?:json|jsonl|ndjson)$/i.test(path)) return 'json';
  return undefined;
}

/** Reports progress by input consumed, at most once per percent; nothing when the size is unknown. */
class ProgressThrottle {
  private done = 0;
  private reported = 0;

  constructor(
    private readonly ctx: Pick<JobContext<unknown>, 'progress'>,
    private readonly total: number | undefined,
  ) {}

  add(bytes: number): void {
    if (!this.total) return;
    this.done += bytes;
    const fraction = Math.min(this.done / this.total, 1);
    if (fraction - this.reported >= 0.01) {
      this.reported = fraction;
      this.ctx.progress(fraction);
    }
  }
}
