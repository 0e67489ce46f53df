import { z } from 'zod';
import {
  AckRefused,
  JobDeletedEvent,
  JobDto,
  JobSummaryDto,
  LogLineDto,
  ResyncEvent,
  RunDto,
  RunLogEvent,
  RunSummaryDto,
  RunUpdatedEvent,
  ScheduleRecordedEvent,
  ArtifactAddedEvent,
  ArtifactDto,
  SubscribeAck,
  Topic,
  UnsubscribeAck,
  WorkerDto,
  clientEvents,
  rooms,
  serverEvents,
  type Audience,
  type ClientEventName,
  type ServerEventName,
} from '@jobflow/shared';

/** Component names of the schemas the events use; anything not listed is inlined where it appears. */
const schemaNames: [z.ZodType, string][] = [
  [RunDto, 'Run'],
  [RunSummaryDto, 'RunSummary'],
  [RunUpdatedEvent, 'RunUpdatedEvent'],
  [JobDto, 'Job'],
  [JobSummaryDto, 'JobSummary'],
  [LogLineDto, 'LogLine'],
  [RunLogEvent, 'RunLogEvent'],
  [ArtifactDto, 'Artifact'],
  [ArtifactAddedEvent, 'ArtifactAddedEvent'],
  [JobDeletedEvent, 'JobDeletedEvent'],
  [ScheduleRecordedEvent, 'ScheduleRecordedEvent'],
  [WorkerDto, 'Worker'],
  [ResyncEvent, 'ResyncEvent'],
  [Topic, 'Topic'],
  [SubscribeAck, 'SubscribeAck'],
  [UnsubscribeAck, 'UnsubscribeAck'],
  [AckRefused, 'AckRefused'],
];

const SCHEMA_REF = '#/components/schemas/';

let schemasOnce: Record<string, Record<string, unknown>> | null = null;

/** One JSON Schema (draft-07, which AsyncAPI schemas extend) per component, with `$ref`s between them. */
function componentSchemas(): Record<string, Record<string, unknown>> {
  if (schemasOnce) return schemasOnce;
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of schemaNames) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-7', io: 'input', unrepresentable: 'any', uri: (id) => SCHEMA_REF + id });
  schemasOnce = Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema as Record<string, unknown>]));
  return schemasOnce;
}

const nameOf = (schema: z.ZodType): string => {
  const entry = schemaNames.find(([s]) => s === schema);
  if (!entry) throw new Error('every event payload and ack has a component name');
  return entry[1];
};

/** `run:updated` -> `runUpdated`: message and operation keys allow no colon. */
const keyOf = (event: string) => event.replace(/[:-](\w)/g, (_, c: string) => c.toUpperCase());
const capitalised = (text: string) => text[0]!.toUpperCase() + text.slice(1);

/** The channel of each audience: a topic's Socket.IO room, or the connection itself for what every socket receives. */
const channels = {
  dashboard: {
    address: rooms.dashboard,
    title: 'Topic dashboard',
    description: 'Every job and every run: what the shared dashboard shows. Subscribe with `{topic: "dashboard"}`.',
  },
  job: {
    address: rooms.job('{jobId}'),
    title: 'Topic job',
    description: 'One job and its runs. Subscribe with `{topic: "job", jobId}`; the ack carries the job\'s snapshot.',
    parameters: { jobId: { description: 'The id of the job.' } },
  },
  run: {
    address: rooms.run('{runId}'),
    title: 'Topic run',
    description:
      'One run: each new snapshot and every line of its log. Subscribe with `{topic: "run", runId, afterSeq?}`; the ack carries the run with its `logCount`, and with `afterSeq` every stored line with `seq > afterSeq` follows as `run:log`, then every later line.',
    parameters: { runId: { description: 'The id of the run.' } },
  },
  connection: {
    address: '/',
    title: 'The connection',
    description:
      'The Socket.IO connection itself (the default namespace `/`): topics are subscribed and unsubscribed here, and events meant for every socket (`resync`) arrive here whatever it subscribed to.',
  },
} as const;
type ChannelName = keyof typeof channels;

const channelOf = (audience: Audience): ChannelName => (audience === 'everyone' ? 'connection' : audience);

const description = `Live events of Jobflow over Socket.IO (protocol v5, Engine.IO v4), on the same origin as the REST API.

**Connecting.** \`io(BASE_URL, {auth: {token}, transports: ["websocket"]})\` with a session JWT from \`POST /api/auth/login\` or a personal API token (\`jf_...\`). A browser on the server's own origin may instead send no token: the handshake's session cookie (from a \`session: "cookie"\` sign-in) is used. A missing or bad token fails the connection with a \`connect_error\` whose \`message\` is \`"unauthorized"\`.

**Subscribing.** Emit \`subscribe\` with a topic and an acknowledgement callback. The ack carries the topic's current snapshot, read after the socket joined the topic's room: every later change arrives as an event, nothing falls in between. Each topic is a channel below, named after its room; \`resync\` reaches every socket.

**Guarantees.** Every change of a run's stored state produces one \`run:updated\`: the whole \`Run\` on the run's topic, a \`RunSummary\` (no \`params\`, no \`result\`) on the dashboard and job topics, and \`job:updated\` carries a \`JobSummary\` (no \`params\`), so a job with large params costs the many listeners little; \`GET\` the one resource for the rest. Keep the snapshot with the highest \`version\` (the ack's included). Every stored line reaches the run's subscribers in a \`run:log\`, in \`seq\` order; around the moment of subscribing a line may arrive twice or ahead of an earlier one, so keep lines in \`seq\` order and drop a \`seq\` already held. Whatever an event says is already stored. A \`resync\` means the server may have missed events: refetch what you show.

**When the connection drops** (a network cut, a server restart, or the server cutting a subscriber that cannot keep up), the transport closes (\`transport close\` / \`transport error\`) and Socket.IO clients reconnect by themselves; Socket.IO does not remember topics, so subscribe again on every \`connect\`, a run with \`afterSeq\` = the last \`seq\` you hold: nothing is lost.

**When the server ends a session on purpose** (the token was revoked or expired, the user was disabled, signed out or changed their password), the client sees the disconnect reason \`io server disconnect\` and Socket.IO does not reconnect. Check the token (\`GET /api/auth/me\`); if it is refused, get a fresh one (sign in again, or a new API token) before connecting again yourself.`;

/**
 * The AsyncAPI 3.0 description of the Socket.IO contract, generated from the
 * zod event schemas the server and the typed client use. `host` is where the
 * document was asked for (`localhost:3000` by default).
 */
export function buildAsyncApi(version: string, { host = 'localhost:3000', isSecure = false }: { host?: string; isSecure?: boolean } = {}) {
  const serverNames = Object.keys(serverEvents) as ServerEventName[];
  const clientNames = Object.keys(clientEvents) as ClientEventName[];
  const messageRef = (key: string) => ({ $ref: `#/components/messages/${key}` });
  const channelMessageRef = (channel: ChannelName, key: string) => ({ $ref: `#/channels/${channel}/messages/${key}` });

  const messages: Record<string, Record<string, unknown>> = {};
  for (const event of serverNames) {
    const spec = serverEvents[event];
    messages[keyOf(event)] = { name: event, title: event, summary: spec.summary, payload: { $ref: SCHEMA_REF + nameOf(spec.payload) } };
  }
  for (const event of clientNames) {
    const spec = clientEvents[event];
    messages[keyOf(event)] = { name: event, title: event, summary: spec.summary, payload: { $ref: SCHEMA_REF + nameOf(spec.payload) } };
    messages[`${keyOf(event)}Ack`] = {
      name: `${event} ack`,
      title: `${event} acknowledgement`,
      summary: `The server's answer to \`${event}\`, through the callback passed with it.`,
      payload: { $ref: SCHEMA_REF + nameOf(spec.ack) },
    };
  }

  const channelMessages: Record<ChannelName, string[]> = { dashboard: [], job: [], run: [], connection: [] };
  for (const event of serverNames) for (const audience of serverEvents[event].audience) channelMessages[channelOf(audience)].push(keyOf(event));
  for (const event of clientNames) channelMessages.connection.push(keyOf(event), `${keyOf(event)}Ack`);

  const operations: Record<string, Record<string, unknown>> = {};
  for (const event of serverNames) {
    for (const audience of serverEvents[event].audience) {
      const channel = channelOf(audience);
      operations[`receive${capitalised(keyOf(event))}On${capitalised(channel)}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${channel}` },
        title: `${event} on ${channel === 'connection' ? 'every socket' : `the ${channel} topic`}`,
        summary: serverEvents[event].summary,
        messages: [channelMessageRef(channel, keyOf(event))],
      };
    }
  }
  for (const event of clientNames) {
    operations[keyOf(event)] = {
      action: 'send',
      channel: { $ref: '#/channels/connection' },
      title: event,
      summary: clientEvents[event].summary,
      messages: [channelMessageRef('connection', keyOf(event))],
      reply: { channel: { $ref: '#/channels/connection' }, messages: [channelMessageRef('connection', `${keyOf(event)}Ack`)] },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Jobflow live events',
      version,
      description,
      externalDocs: { description: 'The REST API (OpenAPI)', url: `${isSecure ? 'https' : 'http'}://${host}/api/openapi.json` },
    },
    defaultContentType: 'application/json',
    servers: {
      jobflow: {
        host,
        protocol: isSecure ? 'wss' : 'ws',
        pathname: '/socket.io/',
        title: 'Jobflow',
        summary: 'Socket.IO on the same origin as the REST API.',
        description: 'Socket.IO v4 server at path `/socket.io`; WebSocket transport recommended (`transports: ["websocket"]`), HTTP long-polling also served.',
        security: [{ $ref: '#/components/securitySchemes/token' }],
        bindings: {
          ws: {
            query: {
              type: 'object',
              properties: {
                EIO: { type: 'string', const: '4', description: 'Engine.IO protocol version.' },
                transport: { type: 'string', enum: ['websocket', 'polling'] },
              },
              required: ['EIO', 'transport'],
            },
            bindingVersion: '0.1.0',
          },
        },
      },
    },
    channels: Object.fromEntries(
      (Object.keys(channels) as ChannelName[]).map((name) => [
        name,
        {
          ...channels[name],
          servers: [{ $ref: '#/servers/jobflow' }],
          messages: Object.fromEntries(channelMessages[name].map((key) => [key, messageRef(key)])),
        },
      ]),
    ),
    operations,
    components: {
      schemas: componentSchemas(),
      messages,
      securitySchemes: {
        token: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A session JWT or a personal API token (`jf_...`), sent in the Socket.IO handshake as `auth: {token}` (the CONNECT packet), not as an HTTP header. A refused token fails the connection with `connect_error` "unauthorized".',
        },
      },
    },
  };
}
