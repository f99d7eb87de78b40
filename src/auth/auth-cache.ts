import type { Actor } from './actor.js';

/**
 * Remembers recently authenticated keys for a short time, so a request costs a map lookup instead of
 * a hash and a query. Entries are keyed by the presented key itself: it is in this process's memory for
 * the request anyway, and the cache never leaves the process. Revocation in this process evicts at once; another API replica (team mode) sees
 * it within `ttlMs`. Only successes are cached: a bad key always reaches the database.
 */
export class AuthCache {
  private readonly entries = new Map<string, { actor: Actor; expiresAt: number }>();

  constructor(
    private readonly ttlMs = 2000,
    private readonly maxEntries = 10_000,
  ) {}

  get(presentedKey: string, now = Date.now()): Actor | undefined {
    const entry = this.entries.get(presentedKey);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(presentedKey);
      return undefined;
    }
    return entry.actor;
  }

  set(presentedKey: string, actor: Actor, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(presentedKey, { actor, expiresAt: now + this.ttlMs });
  }

  /** Evicts every cached entry of a key id (on revoke). */
  evictKey(keyId: string): void {
    for (const [key, entry] of this.entries) if (entry.actor.id === keyId) this.entries.delete(key);
  }
}
