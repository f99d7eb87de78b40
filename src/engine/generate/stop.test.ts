import { describe, expect, it } from 'vitest';
import { StopFilter } from './stop.js';

const letters = (ids: readonly number[]): string => ids.map((i) => ['ab', 'c', 'd', 'e', 'xyz'][i]!).join('');

describe('stop filter', () => {
  it('cuts a stop token sequence and never releases its tokens', () => {
    const f = new StopFilter([[7, 8]], []);
    expect(f.push(5)).toBe(false);
    expect(f.released).toBe(1);
    expect(f.push(7)).toBe(false);
    expect(f.released).toBe(1); // 7 may start the stop sequence: held back
    expect(f.push(8)).toBe(true);
    expect(f.tokens).toEqual([5]);
    expect(f.released).toBe(1);
  });

  it('releases held tokens once the stop sequence cannot match', () => {
    const f = new StopFilter([[7, 8], [1, 2, 3]], []);
    for (const t of [1, 2]) f.push(t);
    expect(f.released).toBe(0);
    f.push(9);
    expect(f.released).toBe(3);
    expect(f.tokens).toEqual([1, 2, 9]);
  });

  it('stops on text, cutting the text exactly before the stop string', () => {
    const f = new StopFilter([], ['cd'], letters);
    expect(f.push(0)).toBe(false); // "ab"
    expect(f.released).toBe(1); // "ab" cannot be part of "cd"
    expect(f.push(1)).toBe(false); // "abc": "c" may start "cd"
    expect(f.released).toBe(1);
    expect(f.push(2)).toBe(true); // "abcd"
    expect(f.text()).toBe('ab');
    expect(f.tokens).toEqual([0]);
  });

  it('finds a stop string inside one token and across tokens', () => {
    const f = new StopFilter([], ['y'], letters);
    f.push(3);
    expect(f.push(4)).toBe(true); // "exyz"
    expect(f.text()).toBe('ex');
    expect(f.tokens).toEqual([3]); // "xyz" straddles the stop: dropped, its text before the stop kept
  });

  it('flush releases everything when generation ends without a stop', () => {
    const f = new StopFilter([[4, 4]], [], letters);
    f.push(1);
    f.push(4);
    expect(f.released).toBe(1);
    f.flush();
    expect(f.released).toBe(2);
    expect(f.text()).toBe('cxyz');
  });

  it('detokenizes once per token and cuts the text of a token stop by the recorded ends', () => {
    let calls = 0;
    const counted = (ids: readonly number[]): string => (calls++, letters(ids));
    const f = new StopFilter([[2, 3]], ['zz'], counted);
    for (const t of [0, 4, 1]) expect(f.push(t)).toBe(false);
    expect(f.textEnd(0)).toBe(2);
    expect(f.textEnd(2)).toBe(6);
    f.push(2);
    expect(f.push(3)).toBe(true); // [2, 3] = "de"
    expect(calls).toBe(5);
    expect(f.tokens).toEqual([0, 4, 1]);
    expect(f.text()).toBe('abxyzc');
  });

  it('asks for detokenize when stop strings are given without it', () => {
    expect(() => new StopFilter([], ['x'])).toThrow(/stopText needs a detokenize function/);
  });
});
