import { describe, expect, it } from 'vitest';
import { parseDatasetRef } from './ref.js';

describe('parseDatasetRef', () => {
  it('reads name@N, name@latest and name', () => {
    expect(parseDatasetRef('corpus@3')).toEqual({ name: 'corpus', version: 3 });
    expect(parseDatasetRef('corpus@latest')).toEqual({ name: 'corpus', version: 'latest' });
    expect(parseDatasetRef('my-data.v2')).toEqual({ name: 'my-data.v2', version: 'latest' });
  });

  it('refuses what is not a REF, saying how to write one', () => {
    for (const bad of ['', '@3', 'corpus@', 'corpus@0', 'corpus@x', 'Corpus@1', '../x', 'a b']) {
      expect(() => parseDatasetRef(bad), bad).toThrow(/write name@VERSION/);
    }
  });
});
