import { describe, expect, it } from 'vitest';
import { parseMetricLine } from './metric-line.js';

describe('parseMetricLine', () => {
  it('reads a CRUCIBLE_METRIC line', () => {
    expect(parseMetricLine('CRUCIBLE_METRIC {"name":"loss","value":0.25,"step":10}')).toEqual({ name: 'loss', value: 0.25, step: 10 });
  });
  it('leaves other and malformed lines to be logged', () => {
    expect(parseMetricLine('loss 0.25')).toBeNull();
    expect(parseMetricLine('CRUCIBLE_METRIC {oops')).toBeNull();
    expect(parseMetricLine('CRUCIBLE_METRIC {"name":"loss","value":"high","step":1}')).toBeNull();
    expect(parseMetricLine('CRUCIBLE_METRIC {"name":"loss","value":1,"step":-1}')).toBeNull();
  });
});
