export { SYSTEM_ACTOR, requireRole, roleAllows, type Actor } from './actor.js';
export { AuditLog, type AuditRecord } from './audit-log.js';
export { ADMIN_KEY_FILE, bootstrapAdminKey, writeSecretFile } from './bootstrap.js';
export { KeyService } from './key-service.js';
export { actorOf } from './request-actor.js';
export { registerAuthRoutes } from './routes.js';
export * from './schema.js';
