import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serializerCompiler } from './serializer.js';

const compile = (schema: z.ZodType) => serializerCompiler({ schema, method: 'GET', url: '/', httpStatus: '200' });

describe('serializerCompiler', () => {
  it('writes only the properties the schema declares', () => {
    const serialize = compile(z.object({ id: z.string(), name: z.string() }));
    const out = JSON.parse(serialize({ id: 'k1', name: 'ci', key_hash: 'secret' }));
    expect(out).toEqual({ id: 'k1', name: 'ci' });
  });

  it('handles nullable fields, enums, arrays and free-form records', () => {
    const serialize = compile(
      z.object({
        items: z.array(z.object({ at: z.string(), status: z.number().nullable(), outcome: z.enum(['success', 'denied']) })),
        details: z.record(z.string(), z.unknown()).nullable(),
        next_cursor: z.string().nullable(),
      }),
    );
    const value = { items: [{ at: 't', status: null, outcome: 'denied' }], details: { a: [1, { b: 2 }] }, next_cursor: null };
    expect(JSON.parse(serialize(value))).toEqual(value);
  });
});
