import { defineJobTypeInfo } from './job-type';

/** Waits, logging a line and progress every second: for demos and tests. */
export const sleepInfo = defineJobTypeInfo({
  type: 'sleep',
  title: 'Sleep',
  description: 'Waits the given number of seconds, logging a line and reporting progress each second.',
  adminOnly: false,
  paramsSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      seconds: { type: 'number', title: 'Seconds', minimum: 0, maximum: 86400, default: 5 },
      fail: { type: 'boolean', title: 'Fail at the end', default: false },
    },
    required: ['seconds'],
    additionalProperties: false,
  },
});
