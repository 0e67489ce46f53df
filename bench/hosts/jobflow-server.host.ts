import { createApp, createUsersService, loadServerConfig } from '@jobflow/server';
import type { HostRole } from './host';

/** The Jobflow server (REST, Socket.IO gateway, reconciler) exactly as `createApp` builds it, with one admin. */
export async function start(args: { env: Record<string, string>; admin: { email: string; password: string } }): Promise<HostRole> {
  const app = await createApp(loadServerConfig(args.env, { port: 0, host: '127.0.0.1' }));
  await createUsersService(app.deps.orm).upsertAdmin(args.admin.email, args.admin.password, 'Bench');
  return {
    info: { url: app.url },
    commands: {},
    close: () => app.close(),
  };
}
