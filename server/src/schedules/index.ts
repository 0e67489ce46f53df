export { schedulesHandlers, upcomingHandlers } from './schedules.routes';
