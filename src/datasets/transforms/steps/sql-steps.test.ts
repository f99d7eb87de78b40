import { describe, expect, it } from 'vitest';
import { transformRows } from '../test-support.js';

const rows = [
  { id: 1, lang: 'en', question: 'What is 2+2?', answer: '4' },
  { id: 2, lang: 'de', question: 'Was ist 3+3?', answer: '6' },
  { id: 3, lang: 'en', question: 'Capital of Peru?', answer: 'Lima' },
];

describe('where, map and rename (DuckDB)', () => {
  it('where keeps matching records; map builds the columns from SQL expressions', async () => {
    const out = await transformRows(`steps:\n  - where: "lang = 'en'"\n  - map: {id: id, text: "question || ' ' || answer"}\n`, rows, 'question');
    expect(out.rows).toEqual([
      { id: 1, text: 'What is 2+2? 4' },
      { id: 3, text: 'Capital of Peru? Lima' },
    ]);
    expect(out.columns).toEqual([{ name: 'id', type: 'BIGINT' }, { name: 'text', type: 'VARCHAR' }]);
    expect(out.textField).toBe('text'); // the text field moved to the column map built
    expect(out.stats.map((s) => [s.step, s.records_in, s.records_out])).toEqual([['1:where', 3, 2], ['2:map', 2, 2]]);
  });

  it('rename keeps the other columns; a SQL step after record steps reads their output', async () => {
    const out = await transformRows(`steps:\n  - rename: {question: text}\n  - normalize: {}\n  - where: "length(text) > 12 OR lang = 'de'"\n`, rows, 'question');
    expect(out.rows.map((r) => r.id)).toEqual([2, 3]);
    expect(Object.keys(out.rows[0]!)).toEqual(['id', 'lang', 'text', 'answer']);
  });

  it('runs in the query sandbox: no files', async () => {
    await expect(transformRows(`steps:\n  - where: "id IN (SELECT 1 FROM read_csv('/etc/passwd'))"\n`, rows, 'question')).rejects.toThrow(/recipe invalid:[\s\S]*steps\[0\]\.where/);
  });
});
