import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Job type → the absolute path of the module whose default export is its handler (handler.ts). */
export type HandlerRegistry = ReadonlyMap<string, string>;

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * The handlers Crucible ships. Domains add theirs here (`src/<domain>/handlers.ts`) as they land;
 * the worker leases only the types it has.
 */
export const BUILTIN_HANDLERS: Readonly<Record<string, string>> = {
  command: path.join(HERE, 'handlers/command.ts'),
  noop: path.join(HERE, 'handlers/noop.ts'),
  'dataset.ingest': path.join(HERE, '../datasets/handlers.ts'),
  'dataset.transform': path.join(HERE, '../datasets/transforms/handler.ts'),
};

/**
 * The built-in handlers plus extra ones (the `worker.handlers` config: site-specific handlers, and
 * the test fixtures); relative paths resolve against `baseDir`.
 */
export function handlerRegistry(extra: Record<string, string> = {}, baseDir = process.cwd()): HandlerRegistry {
  const registry = new Map(Object.entries(BUILTIN_HANDLERS));
  for (const [type, modulePath] of Object.entries(extra)) registry.set(type, path.resolve(baseDir, modulePath));
  return registry;
}
