import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
// The bootstrap module alone: the auth index would load the whole domain (and Fastify) into every command.
import { ADMIN_KEY_FILE } from '../auth/bootstrap.js';
import { loadConfig } from '../platform/config.js';
import { EXIT, exitCodeForStatus } from './exit-codes.js';

export interface GlobalOptions {
  url?: string;
  key?: string;
  json?: boolean;
  quiet?: boolean;
}

/** A failure the CLI reports as a message and an exit code (never a stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const DEFAULT_URL = 'http://127.0.0.1:7860';

/** --url/--key, else CRUCIBLE_URL/CRUCIBLE_API_KEY, else the local server with $CRUCIBLE_HOME/admin.key. */
export function resolveConnection(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): { url: string; key: string | undefined } {
  const url = (options.url ?? env.CRUCIBLE_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  let key = options.key ?? env.CRUCIBLE_API_KEY;
  if (!key) {
    const file = path.join(loadConfig({ env }).home, ADMIN_KEY_FILE);
    if (existsSync(file)) key = readFileSync(file, 'utf8').trim();
  }
  return { url, key };
}

/** Thin JSON client of the platform API. */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly key: string | undefined,
  ) {}

  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.url + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`No Crucible server answers at ${this.url} (${cause}). Start one with: crucible start`, EXIT.unavailable, 'server_unreachable');
    }
    const text = await response.text();
    let payload: unknown = undefined;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: reported below if the status is an error.
    }
    if (!response.ok) {
      const error = (payload as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      throw new CliError(
        error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
        exitCodeForStatus(response.status),
        error?.code,
        error?.details,
      );
    }
    return payload as T;
  }

  /** Every item of a `{items, next_cursor}` list, following cursors. */
  async listAll<T>(route: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = route.includes('?') ? '&' : '?';
      const page: { items: T[]; next_cursor: string | null } = await this.request('GET', cursor ? `${route}${sep}cursor=${encodeURIComponent(cursor)}` : route);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }
}

export function clientFor(options: GlobalOptions): ApiClient {
  const { url, key } = resolveConnection(options);
  return new ApiClient(url, key);
}
