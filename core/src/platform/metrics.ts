import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Which process exports the metrics: each role registers the families it can fill. */
export type MetricsRole = 'server' | 'worker';

/** Runs by state, as PostgreSQL holds them when scraped. */
export interface RunCounts {
  queued: number;
  running: number;
  /** Queued runs whose time has come (no retry backoff or limit pending). */
  due: number;
  /** Seconds since the oldest due run became due; 0 when none is due. */
  oldestDueAgeSec: number;
}

/** A process's PostgreSQL pool when scraped. */
export interface PoolCounts {
  used: number;
  idle: number;
  /** Queries waiting for a free connection. */
  waiting: number;
}

/** Figures the metrics read when scraped (nothing is polled in between). */
export interface MetricSources {
  runs?: () => Promise<RunCounts>;
  pool?: () => PoolCounts;
  sockets?: () => number;
  /** Each sweep lease this process asks for, and whether it holds it. */
  sweepLeases?: () => Record<string, boolean>;
}

/** A stored change of a run, as `runs` rows carry it. */
export interface RunChange {
  status: string;
  attempt: number;
  job_type?: string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

export type NotificationOutcome = 'delivered' | 'retrying' | 'failed';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** How long a scrape waits for the PostgreSQL figures before it answers with the last ones. */
const SOURCE_TIMEOUT_MS = 2000;

const RUN_DURATION_BUCKETS_SEC = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600];
const EVENT_LAG_BUCKETS_SEC = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const HTTP_BUCKETS_SEC = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * prom-client's gauges named like counters, which `promtool check metrics`
 * flags; each is the sum of a by-type gauge that stays (`nodejs_active_handles`...).
 */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let processRegistry: Registry | null = null;
/** Node.js and process metrics (CPU, memory, event loop, GC): one set per process, however many apps it runs. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    for (const name of MISNAMED_DEFAULTS) processRegistry.removeSingleMetric(name);
  }
  return processRegistry;
}

const toDate = (t: Date | string) => (t instanceof Date ? t : new Date(t));

/**
 * The Prometheus metrics of one server or worker (prom-client). Hot paths
 * only bump counters; figures held elsewhere (runs in PostgreSQL, the pool,
 * sockets) are read when scraped.
 */
export function createMetrics(role?: MetricsRole) {
  const registry = new Registry();
  const common = [registry];
  const ifRole = (r: MetricsRole) => (role === r ? [registry] : []);
  let sources: MetricSources = {};

  // One PostgreSQL read per scrape feeds the three run gauges, whose collects run at once.
  let runCountsRead: Promise<RunCounts | null> | null = null;
  const readRunCounts = () => {
    const read = sources.runs;
    if (!read) return Promise.resolve(null);
    runCountsRead ??= Promise.race([read(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), SOURCE_TIMEOUT_MS).unref())])
      .catch(() => null)
      .finally(() => setImmediate(() => (runCountsRead = null)));
    return runCountsRead;
  };

  new Gauge({
    name: 'jobflow_runs_active',
    help: 'Runs queued or running, from PostgreSQL.',
    labelNames: ['status'] as const,
    registers: common,
    async collect() {
      const c = await readRunCounts();
      if (!c) return;
      this.set({ status: 'queued' }, c.queued);
      this.set({ status: 'running' }, c.running);
    },
  });
  new Gauge({
    name: 'jobflow_queue_depth',
    help: 'Queued runs that are due now (waiting for a worker slot), from PostgreSQL.',
    registers: common,
    async collect() {
      const c = await readRunCounts();
      if (c) this.set(c.due);
    },
  });
  new Gauge({
    name: 'jobflow_queue_oldest_age_seconds',
    help: 'How long the oldest due queued run has waited since it became due (0 when none waits).',
    registers: common,
    async collect() {
      const c = await readRunCounts();
      if (c) this.set(c.oldestDueAgeSec);
    },
  });
  new Gauge({
    name: 'jobflow_sweep_lease_held',
    help: 'Whether this process holds the lease of each periodic sweep (1) or another process does (0).',
    labelNames: ['sweep'] as const,
    registers: common,
    collect() {
      for (const [sweep, isHeld] of Object.entries(sources.sweepLeases?.() ?? {})) this.set({ sweep }, isHeld ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jobflow_db_pool_connections',
    help: "Connections of this process's PostgreSQL pool: used, idle, and queries waiting for one.",
    labelNames: ['state'] as const,
    registers: common,
    collect() {
      const p = sources.pool?.();
      if (!p) return;
      this.set({ state: 'used' }, p.used);
      this.set({ state: 'idle' }, p.idle);
      this.set({ state: 'waiting' }, p.waiting);
    },
  });

  const runsFinished = new Counter({
    name: 'jobflow_runs_finished_total',
    help: 'Runs that reached a final state, counted by the process that stored it.',
    labelNames: ['job_type', 'status'] as const,
    registers: common,
  });
  const runDuration = new Histogram({
    name: 'jobflow_run_duration_seconds',
    help: 'From the start of a run to its final state, for runs that started.',
    labelNames: ['job_type', 'status'] as const,
    buckets: RUN_DURATION_BUCKETS_SEC,
    registers: common,
  });
  const runAttempts = new Counter({
    name: 'jobflow_run_attempts_total',
    help: 'Attempts started (claimed by a worker).',
    labelNames: ['job_type'] as const,
    registers: common,
  });
  const runRetries = new Counter({
    name: 'jobflow_run_retries_total',
    help: 'Attempts that ended without an outcome and were queued again (after an error, a lost worker or a shutdown).',
    labelNames: ['job_type'] as const,
    registers: common,
  });
  const logLines = new Counter({
    name: 'jobflow_log_lines_total',
    help: 'Run log lines stored and published by this process.',
    registers: common,
  });
  const redisErrors = new Counter({
    name: 'jobflow_redis_errors_total',
    help: 'Errors on the Redis connections of this process (each failed connection attempt counts).',
    registers: common,
  });

  const notifications = new Counter({
    name: 'jobflow_notifications_total',
    help: 'Notification delivery attempts by target kind and outcome (delivered, retrying, failed: given up).',
    labelNames: ['kind', 'outcome'] as const,
    registers: ifRole('worker'),
  });

  new Gauge({
    name: 'jobflow_sockets_connected',
    help: 'Socket.IO clients connected to this server.',
    registers: ifRole('server'),
    collect() {
      if (sources.sockets) this.set(sources.sockets());
    },
  });
  const eventLag = new Histogram({
    name: 'jobflow_event_lag_seconds',
    help: 'From a change being stored (and published) to its live event being written to the sockets of this server.',
    buckets: EVENT_LAG_BUCKETS_SEC,
    registers: ifRole('server'),
  });
  const httpRequests = new Counter({
    name: 'jobflow_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: ifRole('server'),
  });
  const httpDuration = new Histogram({
    name: 'jobflow_http_request_duration_seconds',
    help: 'From a request arriving to its response being sent, by route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_BUCKETS_SEC,
    registers: ifRole('server'),
  });

  return {
    /** The content type of `render()`'s text. */
    contentType: registry.contentType,

    /** The Prometheus text exposition: this process's Node.js metrics, then Jobflow's. */
    async render(): Promise<string> {
      const [processText, own] = await Promise.all([processMetrics().metrics(), registry.metrics()]);
      return `${processText}\n${own}`;
    },

    /** Adds figures to read when scraped. */
    readFrom(more: MetricSources): void {
      sources = { ...sources, ...more };
    },

    /** Told of every stored change of a run, by the process that stored it. */
    runChanged(row: RunChange): void {
      const jobType = row.job_type ?? 'unknown';
      if (row.status === 'running') runAttempts.inc({ job_type: jobType });
      else if (row.status === 'queued' && row.attempt > 1) runRetries.inc({ job_type: jobType });
      else if (FINAL.has(row.status)) {
        runsFinished.inc({ job_type: jobType, status: row.status });
        if (row.started_at && row.finished_at) {
          const sec = (toDate(row.finished_at).getTime() - toDate(row.started_at).getTime()) / 1000;
          runDuration.observe({ job_type: jobType, status: row.status }, Math.max(0, sec));
        }
      }
    },

    logLinesStored(count: number): void {
      logLines.inc(count);
    },

    redisErrored(): void {
      redisErrors.inc();
    },

    notificationAttempted(kind: string, outcome: NotificationOutcome): void {
      notifications.inc({ kind, outcome });
    },

    /** A live event stamped `storedAtMs` was written to this server's sockets. */
    eventDelivered(storedAtMs: number): void {
      eventLag.observe(Math.max(0, Date.now() - storedAtMs) / 1000);
    },

    /** `route` is the router's pattern (never the raw path: ids would make a series each). */
    httpAnswered(method: string, route: string, status: number, seconds: number): void {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Whether an `Authorization` header carries the metrics token; always true when no token is set. Constant-time. */
export function isScrapeAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
