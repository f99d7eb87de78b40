import { describe, expect, it } from 'vitest';
import { compareRuns } from './compare.js';
import type { RunView } from './schema.js';

function run(id: string, params: Record<string, string>): RunView {
  return { id, name: id, job_id: null, status: 'finished', start_time: '2026-01-01T00:00:00.000Z', end_time: null, created_by: null, params, tags: {}, metrics: {}, artifacts: [] };
}

describe('compareRuns', () => {
  it('aligns series with different step sets on the union of steps, null where a run has no value', () => {
    const result = compareRuns(
      [run('a', {}), run('b', {}), run('c', {})],
      [
        { runId: 'a', name: 'loss', step: 0, value: 3 },
        { runId: 'a', name: 'loss', step: 10, value: 2 },
        { runId: 'a', name: 'loss', step: 10, value: 1.5 }, // logged twice: the last wins
        { runId: 'b', name: 'loss', step: 5, value: 2.5 },
        { runId: 'b', name: 'loss', step: 10, value: 1 },
        { runId: 'b', name: 'acc', step: 10, value: 0.9 },
      ],
    );
    expect(result.metrics).toEqual([
      { name: 'acc', steps: [10], values: { a: [null], b: [0.9], c: [null] } },
      { name: 'loss', steps: [0, 5, 10], values: { a: [3, null, 1.5], b: [null, 2.5, 1], c: [null, null, null] } },
    ]);
  });

  it('diffs params: differing values and missing keys; shared ones in same', () => {
    const result = compareRuns([run('a', { lr: '0.1', bs: '32', opt: 'adam' }), run('b', { lr: '0.01', bs: '32' })], []);
    expect(result.params).toEqual({
      differing: [
        { key: 'lr', values: { a: '0.1', b: '0.01' }, missing_in: [] },
        { key: 'opt', values: { a: 'adam', b: null }, missing_in: ['b'] },
      ],
      same: { bs: '32' },
    });
  });
});
