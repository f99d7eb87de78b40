import { describe, expect, it } from 'vitest';
import { AuthCache } from './auth-cache.js';

const alice = { id: 'key_a', name: 'alice', role: 'editor' as const };

describe('AuthCache', () => {
  it('returns an entry until its time is up', () => {
    const cache = new AuthCache(1000);
    cache.set('h1', alice, 0);
    expect(cache.get('h1', 999)).toEqual(alice);
    expect(cache.get('h1', 1000)).toBeUndefined();
  });

  it('evicts every entry of a revoked key id at once', () => {
    const cache = new AuthCache(60_000);
    cache.set('h1', alice, 0);
    cache.set('h2', { ...alice, id: 'key_b' }, 0);
    cache.evictKey('key_a');
    expect(cache.get('h1', 1)).toBeUndefined();
    expect(cache.get('h2', 1)?.id).toBe('key_b');
  });

  it('stays bounded, dropping the oldest entries', () => {
    const cache = new AuthCache(60_000, 2);
    cache.set('h1', alice, 0);
    cache.set('h2', alice, 0);
    cache.set('h3', alice, 0);
    expect(cache.get('h1', 1)).toBeUndefined();
    expect(cache.get('h3', 1)).toBeDefined();
  });
});
