import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCsvShape } from './csv-check.js';

const dir = mkdtempSync(path.join(tmpdir(), 'csv-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = (content: string, delimiter: ',' | '\t' = ',') => {
  const file = path.join(dir, `${Math.random()}.csv`);
  writeFileSync(file, content);
  return checkCsvShape(file, delimiter, 'f.csv');
};

describe('checkCsvShape', () => {
  it('counts rows and columns, with quoted delimiters, doubled quotes, newlines in quotes, CRLF and blank lines', async () => {
    expect(await csv('a,text\r\n1,"x, ""y"""\r\n\r\n2,"multi\nline"\n')).toEqual({ columns: 2, rows: 2 });
    expect(await csv('a\tb\n1\t2\n', '\t')).toEqual({ columns: 2, rows: 1 });
    expect(await csv('a,b\n1,2')).toEqual({ columns: 2, rows: 1 });
  });

  it('names the first ragged row and its line', async () => {
    await expect(csv('a,b\n1,2\n"x\ny",2,3\n')).rejects.toThrow(/Row 2 of f\.csv \(line 3\) has 3 fields, but the header has 2/);
  });

  it('refuses a file without a header and an unclosed quote', async () => {
    await expect(csv('\n\n')).rejects.toThrow(/has no columns/);
    await expect(csv('a,b\n1,"open\n')).rejects.toThrow(/ends inside a quoted field/);
  });
});
