export { schedulesRoutes, upcomingRoutes } from './schedules.routes';
