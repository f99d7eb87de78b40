export { registerUploadRoutes } from './routes.js';
export { UploadService } from './service.js';
