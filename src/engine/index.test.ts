import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as engine from './index.js';

const root = dirname(fileURLToPath(import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('engine', () => {
  it('imports nothing from the rest of src/', () => {
    const outside: string[] = [];
    for (const f of files(root))
      for (const [, spec] of readFileSync(f, 'utf8').matchAll(/from '(\.[^']+)'/g))
        if (relative(root, resolve(dirname(f), spec!)).startsWith('..')) outside.push(`${relative(root, f)} → ${spec}`);
    expect(outside).toEqual([]);
  });

  it('exposes the public API from one place', () => {
    for (const name of ['Graph', 'grad', 'ops', 'Session', 'emitModel', 'llamaLoss', 'LlamaTrainStep', 'adamwUpdate', 'causalAttention'])
      expect(engine, name).toHaveProperty(name);
  });
});
