import { describe, expect, it } from 'vitest';
import { migrations } from './index.js';

describe('migrations index', () => {
  const names = Object.keys(migrations);

  it('names migrations NNNN-kebab-name, numbered 1, 2, 3… in order', () => {
    names.forEach((name, i) => {
      expect(name).toMatch(/^\d{4}-[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(Number(name.slice(0, 4))).toBe(i + 1);
    });
    expect([...names].sort()).toEqual(names); // Kysely's Migrator runs them in sorted order
  });

  it('is forward-only: no migration has a down', () => {
    for (const name of names) expect(migrations[name]!.down, name).toBeUndefined();
  });
});
