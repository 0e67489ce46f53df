/** What a readiness probe answers: 200 when ready, else 503 with API.md's error shape saying why. */
export interface Readiness {
  status: 200 | 503;
  body: Record<string, unknown>;
}

const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
const answers = (check: () => Promise<unknown>, timeoutMs: number) =>
  within(timeoutMs, Promise.resolve().then(check)).then(
    () => true,
    () => false,
  );

/**
 * Ready when PostgreSQL and Redis both answer within `timeoutMs` and the
 * process is not on its way out (`drainingAs` names it: "the server is
 * shutting down").
 */
export async function checkReadiness(o: {
  postgres: () => Promise<unknown>;
  redis: () => Promise<unknown>;
  drainingAs?: string | null;
  timeoutMs?: number;
}): Promise<Readiness> {
  if (o.drainingAs) return { status: 503, body: { error: { code: 'unavailable', message: `Not ready: ${o.drainingAs}.` }, draining: true } };
  const timeoutMs = o.timeoutMs ?? 1500;
  const [postgres, redis] = await Promise.all([answers(o.postgres, timeoutMs), answers(o.redis, timeoutMs)]);
  const services = { postgres: postgres ? 'up' : 'down', redis: redis ? 'up' : 'down' };
  const down = Object.entries(services)
    .filter(([, state]) => state === 'down')
    .map(([name]) => name);
  if (down.length) return { status: 503, body: { error: { code: 'unavailable', message: `Not ready: ${down.join(' and ')} unreachable.` }, ...services } };
  return { status: 200, body: { status: 'ready', ...services } };
}
