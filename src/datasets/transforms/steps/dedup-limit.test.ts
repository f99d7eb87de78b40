import { describe, expect, it, vi } from 'vitest';
import { transformRows } from '../test-support.js';

// The band tables' real last position is 2^24 − 2; a last position of 5 (6 records) lets the test reach it.
vi.mock('../../validation/lsh.js', async (original) => ({ ...(await original<typeof import('../../validation/lsh.js')>()), MAX_BAND_POSITIONS: 5 }));

describe('dedup at the near index limit', () => {
  it('fails with an error that says what to do, instead of the band table throwing mid-run', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ id: String(i), text: `record ${i} talks about topic ${i * 7919} in words of its own` }));
    await expect(transformRows('steps:\n  - dedup: {exact: true, near: true}\n', rows)).rejects.toMatchObject({
      code: 'dataset_transform_too_large',
      message: expect.stringMatching(/at most 6 records.*Dedup a part at a time.*exact: true, near: false/),
    });
    // Exact dedup alone has no such limit.
    expect((await transformRows('steps:\n  - dedup: {exact: true}\n', rows)).rows).toHaveLength(12);
  });
});
