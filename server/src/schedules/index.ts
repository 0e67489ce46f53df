export { scheduleSettings } from './schedule-settings';
export { schedulesRoutes } from './schedules.routes';
