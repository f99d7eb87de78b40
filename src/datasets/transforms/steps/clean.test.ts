import { describe, expect, it } from 'vitest';
import { transformRows } from '../test-support.js';
import { cleanText } from './clean.js';

describe('clean', () => {
  it('strips control and zero-width characters, collapses spaces, keeps paragraphs', async () => {
    const text = '  Hello\u0000 \t world\u200B!  \r\n\n\n\nSecond\u0007   para  ';
    const out = await transformRows('steps:\n  - clean: {}\n', [{ text }]);
    expect(out.rows[0]!.text).toBe('Hello world!\n\nSecond para');
  });

  it('collapse puts everything on one line; trim and none leave the inside alone', () => {
    const text = ' a \n\n b\u0001 ';
    expect(cleanText(text, { whitespace: 'collapse', control_chars: 'strip', replacement_chars: 'keep' })).toBe('a b');
    expect(cleanText(text, { whitespace: 'trim', control_chars: 'keep', replacement_chars: 'keep' })).toBe('a \n\n b\u0001');
    expect(cleanText('x\uFFFDy', { whitespace: 'none', control_chars: 'strip', replacement_chars: 'strip' })).toBe('xy');
  });
});
