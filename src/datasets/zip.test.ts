import { describe, expect, it } from 'vitest';
import { assertSafeName } from './zip.js';

describe('assertSafeName', () => {
  it('accepts relative names and refuses names that escape the archive', () => {
    for (const ok of ['a.txt', 'docs/a.md', 'a..b.txt', 'dir/']) expect(() => assertSafeName(ok, 'z.zip')).not.toThrow();
    for (const bad of ['../a.txt', 'docs/../../a.txt', '/etc/passwd', '\\\\server\\x', 'C:\\\\x.txt', 'a\\\\..\\\\..\\\\b']) {
      expect(() => assertSafeName(bad, 'z.zip'), bad).toThrow(/points outside the archive/);
    }
  });
});
