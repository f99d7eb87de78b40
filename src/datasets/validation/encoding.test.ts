import { describe, expect, it } from 'vitest';
import { hasControlChars, hasMojibake, hasReplacementChar } from './encoding.js';

describe('encoding checks', () => {
  it('finds replacement characters', () => {
    expect(hasReplacementChar('caf\uFFFD')).toBe(true);
    expect(hasReplacementChar(new TextDecoder().decode(new Uint8Array([0x63, 0xff, 0x64])))).toBe(true);
    expect(hasReplacementChar('café')).toBe(false);
  });

  it('finds C0/C1 controls but not tab, newline or carriage return', () => {
    for (const t of ['a\u0000b', 'bell\u0007', 'form\u000Cfeed', 'del\u007F', 'nel\u0085', 'c1\u009B']) expect(hasControlChars(t), JSON.stringify(t)).toBe(true);
    expect(hasControlChars('line\none\ttab\r\n')).toBe(false);
  });

  it('finds mojibake markers and leaves real accented text alone', () => {
    const mangled = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
    for (const t of ['cafÃ©', 'donâ€™t', 'â‚¬5', 'Ã¢â‚¬', 'SeÃ±or', mangled('naïve café'), 'ï»¿BOM']) expect(hasMojibake(t), t).toBe(true);
    for (const t of ['café', 'naïve', 'São Paulo', 'À bientôt', 'Ça va', 'à\u00A0« citation »', 'Âge', 'Ãrvore']) expect(hasMojibake(t), t).toBe(false);
  });
});
