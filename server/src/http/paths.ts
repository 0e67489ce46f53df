/** Paths the UI never answers: an unknown one under them is a JSON 404, never the UI's HTML. */
const SERVICE_PREFIXES = ['/api', '/metrics', '/healthz', '/readyz'];

/** Whether `path` belongs to the API or to the operational endpoints (health, readiness, metrics). */
export const isServicePath = (path: string) => SERVICE_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));

/** Probes and scrapes: logged at debug level, as they come every few seconds. */
export const isProbePath = (path: string) => path === '/healthz' || path === '/readyz' || path === '/metrics';
