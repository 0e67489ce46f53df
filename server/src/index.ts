export { createApp, type App } from './app';
export { loadServerConfig, type ServerConfig } from './config';
export { createUsersService } from './users/users.service';
