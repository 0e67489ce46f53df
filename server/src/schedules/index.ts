export { schedulesHandlers } from './schedules.routes';
