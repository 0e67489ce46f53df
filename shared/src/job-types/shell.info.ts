import { defineJobTypeInfo } from './job-type';

const noNul = '^[^\\u0000]*$';

/** Runs a script in a child process; admin only, since it runs anything. */
export const shellInfo = defineJobTypeInfo({
  type: 'shell',
  title: 'Shell script',
  description: 'Runs a script with /bin/sh -c (or the given shell). Every stdout and stderr line becomes a log line; exit code 0 succeeds.',
  adminOnly: true,
  paramsSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      script: { type: 'string', title: 'Script', minLength: 1, maxLength: 100000, pattern: noNul, 'x-multiline': true },
      shell: { type: 'string', title: 'Shell', description: 'Interpreter called as `<shell> -c <script>`.', default: '/bin/sh', minLength: 1, pattern: noNul },
      cwd: { type: 'string', title: 'Working directory', minLength: 1, pattern: noNul },
      env: {
        type: 'object',
        title: 'Environment variables',
        description: 'Values are secrets: stored encrypted, shown masked, and masked wherever the script prints them.',
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        additionalProperties: { type: 'string', pattern: noNul, 'x-secret': true },
      },
    },
    required: ['script'],
    additionalProperties: false,
  },
});
