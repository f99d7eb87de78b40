import { describe, expect, it } from 'vitest';
import { transformRows } from '../test-support.js';
import { charLength } from './filter-length.js';

describe('filter_length', () => {
  it('keeps records within min_chars..max_chars, counting code points', async () => {
    const rows = ['', 'abc', 'abcd', '😀😀😀😀', 'abcdefghij', 'abcdefghijk'].map((text, id) => ({ id, text }));
    const out = await transformRows('steps:\n  - filter_length: {min_chars: 4, max_chars: 10}\n', rows);
    expect(out.rows.map((r) => r.id)).toEqual([2, 3, 4]);
    expect(out.stats[0]).toMatchObject({ records_in: 6, records_out: 3 });
    expect(charLength('😀a')).toBe(2);
  });
});
