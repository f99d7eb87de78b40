import { describe, expect, it } from 'vitest';
import { idTime, newId } from './ids.js';

describe('newId', () => {
  it('is 26 Crockford base32 characters after the prefix', () => {
    expect(newId()).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(newId('job')).toMatch(/^job_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('sorts in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('encodes its creation time', () => {
    const before = Date.now();
    const id = newId('x');
    expect(idTime(id)).toBeGreaterThanOrEqual(before);
    expect(idTime(id)).toBeLessThanOrEqual(Date.now());
  });
});
