import { z } from 'zod';
import { IdempotencyKey, apiRoutes, apiSchemas, type ErrorStatus, type OperationId, type RouteSpec } from '@jobflow/shared';
import { accessPolicy, type Action, type Relation } from '../auth/access-policy';

type JsonSchema = Record<string, unknown>;
const COMPONENTS = '#/components/schemas/';
const ref = (name: string) => ({ $ref: COMPONENTS + name });

const errorMeaning: Record<ErrorStatus, string> = {
  400: 'bad_request: invalid JSON, an unparsable query parameter or a malformed header',
  401: 'unauthorized: no token, bad signature, expired, revoked, disabled user',
  403: 'forbidden: role or ownership does not allow it',
  404: 'not_found: no such resource (also for ids of the wrong shape)',
  409: 'conflict',
  412: 'precondition_failed: `If-Match` names a version the resource no longer has; nothing was changed',
  413: 'payload_too_large: body over 1 MiB, nested deeper than BODY_MAX_DEPTH or with more than BODY_MAX_KEYS keys and items',
  415: 'unsupported_media_type: a body that is not JSON, or a change signed in by the session cookie without Content-Type: application/json',
  416: 'range_not_satisfiable: the `Range` lies outside the file; `Content-Range: bytes */<size>` gives its size',
  422: 'validation_failed: `details` lists `{path, message}` with JSON Pointer paths',
  429: 'rate_limited: see the Retry-After header',
  431: 'Request header fields too large: over the 16 KiB Node.js reads (plain text, no error body); a probe sends a few bytes',
  503: 'unavailable: PostgreSQL or Redis unreachable',
};

const tags = {
  auth: 'Signing in and out, and who is signed in',
  users: 'People who can sign in (admins manage them)',
  tokens: 'Personal API tokens for scripts',
  jobs: 'Job definitions, their types and schedules',
  runs: 'Runs of jobs: starting, following, cancelling',
  workers: 'Worker processes: their state, draining and resuming',
  audit: 'The append-only audit log',
  health: 'Liveness, readiness and metrics for operators',
} as const;

const relationNames: Record<Relation, string> = {
  signedIn: 'anyone signed in',
  admin: 'admins',
  jobOwner: "the job's owner",
  runStarter: 'the user who started the run',
  tokenOwner: "the token's owner",
};

/** Who may call an operation, in words, from the access policy itself. */
function whoMay(spec: RouteSpec): string {
  if (spec.access === 'open') return 'Anyone.';
  if (spec.access === 'metricsToken') return 'Anyone, or with METRICS_TOKEN set only its bearer.';
  const names = accessPolicy[spec.access as Action].allow.map((relation: Relation) => relationNames[relation]);
  return `Allowed for ${names.join(', ')}.`;
}

/**
 * The schemas of `apiSchemas` as OpenAPI components, each described once; a
 * schema met inside another is a `$ref` to it. Request bodies are described
 * as clients send them (fields with defaults optional), the rest as the
 * server answers.
 */
function components(): Record<string, JsonSchema> {
  const requestBodies = new Set(Object.values(apiRoutes).flatMap((spec: RouteSpec) => (spec.body ? [spec.body] : [])));
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(apiSchemas)) registry.add(schema, { id: name });
  const convert = (io: 'input' | 'output') =>
    z.toJSONSchema(registry, { io, uri: (id) => COMPONENTS + id, unrepresentable: 'any' }).schemas as Record<string, JsonSchema>;
  const asSent = convert('input');
  const asAnswered = convert('output');
  return Object.fromEntries(
    Object.entries(apiSchemas).map(([name, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = (requestBodies.has(schema) ? asSent : asAnswered)[name]!;
      return [name, rest];
    }),
  );
}

const nameOf = new Map<z.ZodType, string>(Object.entries(apiSchemas).map(([name, schema]) => [schema, name]));
function componentRef(schema: z.ZodType, where: string) {
  const name = nameOf.get(schema);
  if (!name) throw new Error(`${where}: the schema is not one of apiSchemas, so the OpenAPI document cannot name it`);
  return ref(name);
}

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

function parameters(spec: RouteSpec) {
  const params: object[] = [];
  const inline = (schema: z.ZodType) => {
    const { $schema: _schema, description, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    return { schema: rest, ...(description ? { description } : {}) };
  };
  for (const [name, schema] of Object.entries(spec.params?.shape ?? {})) params.push({ name, in: 'path', required: true, ...inline(schema as z.ZodType) });
  for (const [name, schema] of Object.entries(spec.query?.shape ?? {})) {
    const field = schema as z.ZodType;
    params.push({ name, in: 'query', required: !field.safeParse(undefined).success, ...inline(field) });
  }
  if (spec.headers?.includes('idempotencyKey')) {
    params.push({ name: 'Idempotency-Key', in: 'header', required: false, ...inline(IdempotencyKey) });
  }
  if (spec.headers?.includes('ifMatch')) {
    params.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'The `ETag` of the version the change is based on (`"3"`); another version is a 412.',
      schema: { type: 'string' },
    });
  }
  return params;
}

function successResponse(spec: RouteSpec, where: string) {
  const headers: Record<string, object> = {};
  if (spec.location) headers.Location = { description: 'Where the created resource is', schema: { type: 'string' } };
  if (spec.hasETag) headers.ETag = { description: 'The version of the resource, for `If-Match`', schema: { type: 'string' } };
  const content =
    spec.response === 'text'
      ? { content: { [spec.access === 'metricsToken' ? 'text/plain; version=0.0.4' : 'text/plain']: { schema: { type: 'string' } } } }
      : spec.response === 'file'
        ? { content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }
        : spec.response === 'ndjson'
          ? { content: { 'application/x-ndjson': { schema: { type: 'string' } } } }
          : spec.response
            ? json(componentRef(spec.response, where))
            : {};
  return {
    description: spec.status === 204 ? 'No content' : spec.status === 201 ? 'Created' : spec.status === 202 ? 'Accepted' : 'OK',
    ...(Object.keys(headers).length ? { headers } : {}),
    ...content,
  };
}

function operation(operationId: OperationId, spec: RouteSpec) {
  const where = `${spec.method.toUpperCase()} ${spec.path}`;
  const errorStatuses = new Set<ErrorStatus>(spec.errors);
  if (spec.tag !== 'health') errorStatuses.add(503);
  if (spec.body) errorStatuses.add(415);
  const security = spec.access === 'open' ? [] : spec.access === 'metricsToken' ? [{ metricsToken: [] }, {}] : [{ bearer: [] }, { sessionCookie: [] }];
  const params = parameters(spec);
  return {
    operationId,
    summary: spec.summary,
    description: [spec.description, whoMay(spec)].filter(Boolean).join('\n\n'),
    tags: [spec.tag],
    security,
    ...(params.length ? { parameters: params } : {}),
    ...(spec.body ? { requestBody: { required: true, ...json(componentRef(spec.body, where)) } } : {}),
    responses: {
      [String(spec.status)]: successResponse(spec, where),
      ...(spec.response === 'file'
        ? {
            '206': {
              description: 'Partial content: the asked byte range',
              content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
            },
          }
        : {}),
      ...Object.fromEntries(
        [...errorStatuses].sort().map((status) => [String(status), { description: errorMeaning[status], ...(status === 431 ? {} : json(ref('Error'))) }]),
      ),
    },
  };
}

/** The OpenAPI 3.1 description of the REST API, generated from the route list and the zod schemas the server validates with. */
export function buildOpenApi(version: string) {
  const paths: Record<string, Record<string, object>> = {};
  for (const [operationId, spec] of Object.entries(apiRoutes) as [OperationId, RouteSpec][]) {
    (paths[openApiPath(spec.path)] ??= {})[spec.method] = operation(operationId, spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jobflow API',
      version,
      description:
        'REST API of Jobflow. Live events use Socket.IO at `/socket.io` (auth `{token}`, or the browser session cookie from the same origin), described by the AsyncAPI document at `/api/asyncapi.json`: subscribe to `dashboard`, `job` or `run` topics and receive `run:updated`, `run:log`, `job:updated`, `job:deleted`, `schedule:recorded` (`{jobId, outcomes}`) and `resync`. `logCount` in a `Run` is the count when the snapshot was taken; new lines arrive as `run:log` without a new `version`. Every response carries `X-Request-Id`: the one the request sent when it is up to 128 letters, digits and `. _ : = / + -`, else a new UUID; the server logs every line of the request with it. A known path asked with another method is a 405 naming the methods it takes in `Allow`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'A server on this machine (PORT 3000)' }],
    tags: Object.entries(tags).map(([name, description]) => ({ name, description })),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A session JWT from /api/auth/login or a personal API token (jf_...)' },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'jf_session',
          description:
            'The browser session from /api/auth/login with `session: "cookie"` (HttpOnly, SameSite=Strict). Requests that change something must send Content-Type: application/json.',
        },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN the server was started with' },
      },
      schemas: components(),
    },
    paths,
  };
}
