import { defineJobTypeInfo } from './job-type';

const columnName = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** Validates a CSV or JSON document against column rules: the validation batch. */
export const dataCheckInfo = defineJobTypeInfo({
  type: 'data-check',
  title: 'Data check',
  description:
    'Reads a CSV or JSON document from a URL (or inline) as a stream and checks every row against the rules: ' +
    'required columns, column types, non-empty values, unique keys, numeric ranges and patterns. ' +
    'Each violation is logged as a line; the run fails when there are more violations than allowed.',
  adminOnly: false,
  paramsSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      url: {
        type: 'string',
        title: 'Document URL',
        description:
          'An http:// or https:// URL to read the document from (a user name and password in it are sent as Basic authorization and kept secret). Give either this or the inline content.',
        'x-secret': 'url-credentials',
        minLength: 8,
        maxLength: 8192,
        pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$',
      },
      headers: {
        type: 'object',
        title: 'Request headers',
        description: 'Sent with the request for the URL, e.g. Authorization. Values are secrets: stored encrypted, shown masked.',
        propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", maxLength: 256 },
        additionalProperties: { type: 'string', maxLength: 8192, pattern: '^[^\\r\\n\\u0000]*$', 'x-secret': true },
      },
      content: {
        type: 'string',
        title: 'Inline document',
        description: 'The document itself, instead of a URL.',
        maxLength: 10000000,
        'x-multiline': true,
      },
      format: {
        type: 'string',
        title: 'Format',
        description:
          'csv: RFC 4180 with a header row. json: JSON Lines (one value per line, or any whitespace-separated values) or one top-level array of rows. ' +
          'auto: from the Content-Type, then the URL extension, then the first character ([ or { means JSON).',
        enum: ['auto', 'csv', 'json'],
        default: 'auto',
      },
      delimiter: {
        type: 'string',
        title: 'CSV delimiter',
        minLength: 1,
        maxLength: 1,
        pattern: '^[^"\\r\\n]$',
        default: ',',
      },
      requiredColumns: {
        type: 'array',
        title: 'Required columns',
        description: 'Columns the CSV header (or every JSON row) must have.',
        items: columnName,
        maxItems: 1000,
        uniqueItems: true,
      },
      columns: {
        type: 'object',
        title: 'Column rules',
        description: 'Rules per column name. A blank value (missing, null or only whitespace) is only checked by nonEmpty.',
        propertyNames: columnName,
        maxProperties: 1000,
        additionalProperties: {
          type: 'object',
          title: 'Rule',
          properties: {
            type: {
              type: 'string',
              title: 'Type',
              description: 'date: YYYY-MM-DD or an RFC 3339 date-time. boolean: true or false. In JSON rows the value must have the JSON type.',
              enum: ['string', 'integer', 'number', 'boolean', 'date'],
            },
            nonEmpty: { type: 'boolean', title: 'Must not be blank', description: 'Absent: false.' },
            min: { type: 'number', title: 'Minimum (inclusive)' },
            max: { type: 'number', title: 'Maximum (inclusive)' },
            pattern: {
              type: 'string',
              title: 'Pattern',
              description: 'A JavaScript regular expression (u flag) the value must contain a match of; anchor it with ^...$ to match the whole value.',
              minLength: 1,
              maxLength: 1000,
            },
          },
          additionalProperties: false,
        },
      },
      uniqueKeys: {
        type: 'array',
        title: 'Unique keys',
        description: 'Each entry lists the columns of one key whose values must not repeat. Rows with a blank key column are not compared.',
        items: { type: 'array', items: columnName, minItems: 1, maxItems: 32, uniqueItems: true },
        maxItems: 32,
      },
      maxViolations: {
        type: 'integer',
        title: 'Violations allowed',
        description: 'The run fails when there are more violations than this.',
        minimum: 0,
        default: 0,
      },
      maxLoggedViolations: {
        type: 'integer',
        title: 'Violations logged',
        description: 'Violations past this many are counted but not logged.',
        minimum: 0,
        maximum: 1000000,
        default: 1000,
      },
    },
    oneOf: [{ required: ['url'] }, { required: ['content'] }],
    additionalProperties: false,
  },
});
