export { schedulesRoutes } from './schedules.routes';
