/**
 * The typed client, loaded when a command first talks to the server: `--help`,
 * completions and wrong calls answer without evaluating it (its zod schemas and
 * Socket.IO), which would otherwise be most of the command's start-up time.
 */
export const loadClientLibrary = () => import('@jobflow/shared/client');
