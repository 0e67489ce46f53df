import { ARTIFACT_NAME_PATTERN, MAX_ARTIFACT_NAME_CHARS } from '../artifacts';
import { defineJobTypeInfo } from './job-type';

const noLineBreak = '^[^\\r\\n\\u0000]*$';

/** Sends one HTTP request and checks the response status; open to every user. */
export const httpInfo = defineJobTypeInfo({
  type: 'http',
  title: 'HTTP request',
  description:
    'Sends one HTTP(S) request and succeeds when the response status is expected (any 2xx unless listed). ' +
    'Logs the request line, the status and the time taken; the result holds the status, the response headers and the start of the body. ' +
    'It can keep the whole body as an artifact of the run.',
  adminOnly: false,
  paramsSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      url: {
        type: 'string',
        title: 'URL',
        description:
          'An http:// or https:// URL. A user name and password in it (https://user:password@host/) are sent as Basic authorization, only to that origin, and kept secret.',
        'x-secret': 'url-credentials',
        minLength: 8,
        maxLength: 8192,
        pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$',
      },
      method: {
        type: 'string',
        title: 'Method',
        enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        default: 'GET',
      },
      headers: {
        type: 'object',
        title: 'Request headers',
        description: 'Header values are secrets: stored encrypted, shown masked, and masked in the log.',
        propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", maxLength: 256 },
        additionalProperties: { type: 'string', maxLength: 8192, pattern: noLineBreak, 'x-secret': true },
      },
      body: {
        type: 'string',
        title: 'Request body',
        description: 'Sent as is; not allowed with GET or HEAD. Set a Content-Type header to match.',
        maxLength: 1048576,
        'x-multiline': true,
      },
      expectedStatus: {
        type: 'array',
        title: 'Expected status codes',
        description: 'The run succeeds when the final status is one of these. Absent: any 2xx status.',
        items: { type: 'integer', minimum: 100, maximum: 599 },
        minItems: 1,
        maxItems: 100,
        uniqueItems: true,
      },
      followRedirects: {
        type: 'boolean',
        title: 'Follow redirects',
        description: 'Follows up to 10 redirects; more fail the run. Off: a 3xx response is the final status.',
        default: true,
      },
      maxResponseBytes: {
        type: 'integer',
        title: 'Response size cap (bytes)',
        description: 'A response body larger than this (after decompression) fails the run; reading stops at the cap.',
        minimum: 0,
        maximum: 268435456,
        default: 1048576,
      },
      saveBodyAs: {
        type: 'string',
        title: 'Keep the body as',
        description:
          'A file name, e.g. response.json: the whole response body is attached to the run as an artifact of this name (a retry’s as response.attempt-2.json), ' +
          'with the response’s Content-Type, whatever the status. A body over the response size cap or ARTIFACT_MAX_BYTES keeps nothing and fails the run. Empty: not kept.',
        minLength: 1,
        maxLength: MAX_ARTIFACT_NAME_CHARS,
        pattern: ARTIFACT_NAME_PATTERN,
      },
      timeoutMs: {
        type: 'integer',
        title: 'Timeout (ms)',
        description: 'Time allowed for the whole exchange, redirects and body included; on expiry the attempt fails and may be retried.',
        minimum: 1,
        maximum: 86400000,
      },
    },
    required: ['url'],
    additionalProperties: false,
  },
});
