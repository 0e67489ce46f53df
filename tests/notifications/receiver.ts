import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { RunDto } from '@jobflow/shared';
import { track, untrack } from '../support/leak-check';

/** A webhook delivery's JSON body, as the README documents it. */
export interface WebhookBody {
  event: string;
  deliveryId: string;
  job: { id: string; name: string };
  run: RunDto;
  url: string;
  sentAt: string;
}

/** A Slack incoming-webhook message (the parts a test reads). */
export interface SlackBody {
  text: string;
  blocks: { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[]; elements?: unknown[] }[];
}

/** One request the receiver got; `B` is the JSON body the test expects it to carry (what arrives is kept as sent). */
export interface ReceivedRequest<B = unknown> {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: B;
}

/** A local HTTP server that records every request and answers with the status `respond` picks. */
export async function startReceiver<B = unknown>(respond: (req: ReceivedRequest<B>, all: ReceivedRequest<B>[]) => number = () => 200) {
  const requests: ReceivedRequest<B>[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // not JSON: keep the text
      }
      const r: ReceivedRequest<B> = { path: req.url ?? '/', headers: req.headers, raw, body: body as B };
      requests.push(r);
      res.statusCode = respond(r, requests);
      res.end(res.statusCode < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const handle = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      untrack(handle);
    },
  };
  return track(handle, 'an HTTP receiver');
}

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  user: string | undefined;
  raw: string;
}

/** A local SMTP server (no TLS) that accepts `user`/`password` and records every message. */
export async function startSmtp(auth: { user: string; password: string }) {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    onAuth(a, _session, cb) {
      if (a.username === auth.user && a.password === auth.password) cb(null, { user: a.username });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((a) => a.address),
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const handle = {
    port: (server.server.address() as AddressInfo).port,
    messages,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      untrack(handle);
    },
  };
  return track(handle, 'an SMTP server');
}

/** Decodes a quoted-printable body part. */
export const decodeQuotedPrintable = (s: string) =>
  Buffer.from(
    s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
