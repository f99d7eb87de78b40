import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findingsOf } from './test-support.js';
import { validateRecipe } from './validate-recipe.js';
import { recipeHash } from './recipe.js';

const rows = [{ id: 1, text: 'hello world', lang: 'en' }];

describe('recipe validation', () => {
  it('an unknown step: its path, line:column of the key, severity, and a fix naming the kinds', async () => {
    const yaml = ['name: clean', 'steps:', '  - normalize: {form: NFKC}', '  - dedupe: {exact: true}', ''].join('\n');
    const [f, ...rest] = await findingsOf(yaml, rows);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ path: 'steps[1].dedupe', line: 4, column: 5, severity: 'error', code: 'recipe_step_unknown' });
    expect(f!.message).toContain('did you mean "dedup"');
    expect(f!.fix).toMatch(/Use one of: normalize, clean, filter_length, dedup, pii, where, map, rename, template, chunk, split/);
  });

  it('a bad option: an out-of-range value and an unknown option, each at its own line:column', async () => {
    const yaml = ['steps:', '  - dedup:', '      near:', '        threshold: 1.5', '  - chunk: {max_tokens: 100, overlap: 10}', ''].join('\n');
    const findings = await findingsOf(yaml, rows);
    expect(findings.map((f) => [f.path, f.line, f.column, f.code])).toEqual([
      ['steps[0].dedup.near.threshold', 4, 20, 'recipe_option_invalid'],
      ['steps[1].chunk.overlap', 5, 30, 'recipe_option_invalid'],
    ]);
    expect(findings[1]!.message).toContain('did you mean "overlap_tokens"');
    expect(findings[1]!.fix).toContain('chunk: {max_tokens: 512, overlap_tokens: 64}');
  });

  it('a field not in the parent schema, with the fields there are and a suggestion', async () => {
    const yaml = ['steps:', '  - template:', '      format: alpaca', '      fields: {instruction: text, output: answr}', '  - where: "langg = \'en\'"', ''].join('\n');
    const findings = await findingsOf(yaml, [{ id: 1, text: 'q', answer: 'a' }]);
    expect(findings.map((f) => [f.path, f.line, f.code])).toEqual([
      ['steps[0].template.fields.output', 4, 'recipe_field_unknown'],
      ['steps[1].where', 5, 'recipe_sql_invalid'],
    ]);
    expect(findings[0]!.message).toBe('no field "answr" in the records at this step (did you mean "answer"?); they have: id, text, answer.');
    expect(findings[1]!.message).toMatch(/langg/);
  });

  it('fields follow the steps: a renamed column is gone after the rename, present under its new name', async () => {
    const good = await findingsOf('steps:\n  - rename: {lang: language}\n  - where: "language = \'en\'"\n', rows);
    expect(good).toEqual([]);
    const bad = await findingsOf('steps:\n  - rename: {lang: language}\n  - pii: {fields: [lang]}\n', rows);
    expect(bad).toMatchObject([{ path: 'steps[1].pii.fields[0]', line: 3, code: 'recipe_field_unknown' }]);
    expect(bad[0]!.fix).toContain('exists only after that step');
  });

  it('YAML syntax and top-level mistakes; without a parent, fields are not checked but SQL syntax is', async () => {
    expect(await findingsOf('steps:\n  - normalize: {form: NFKC\n')).toMatchObject([{ code: 'recipe_yaml_invalid', severity: 'error', line: expect.any(Number) }]);
    const top = await findingsOf('step:\n  - normalize: {}\n');
    expect(top).toHaveLength(2);
    expect(top).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'step', line: 1, column: 1, code: 'recipe_field_invalid', message: expect.stringContaining('did you mean "steps"') }),
        expect.objectContaining({ path: 'steps', code: 'recipe_field_invalid', message: 'missing "steps".' }),
      ]),
    );
    expect(await findingsOf('steps:\n  - pii: {fields: [nope]}\n')).toEqual([]);
    expect(await findingsOf('steps:\n  - where: "lang = = 1"\n')).toMatchObject([{ path: 'steps[0].where', code: 'recipe_sql_invalid' }]);
    expect(await findingsOf('steps:\n  - where: "1=1; DROP TABLE data"\n')).toMatchObject([{ path: 'steps[0].where', code: 'recipe_sql_invalid' }]);
  });

  it('the tokenizer slot is refused with what to do instead; an options mix-up under a step is explained', async () => {
    expect(await findingsOf('steps:\n  - chunk: {max_tokens: 64, tokenizer: bpe-32k}\n', rows)).toMatchObject([{ path: 'steps[0].chunk.tokenizer', code: 'recipe_option_unsupported', fix: expect.stringContaining('chars_per_token') }]);
    const [f] = await findingsOf('steps:\n  - dedup:\n    exact: true\n', rows);
    expect(f).toMatchObject({ path: 'steps[0]', line: 2, code: 'recipe_step_invalid' });
    expect(f!.fix).toContain('indent options under their kind');
  });

  it('the report rules of the new version are checked too', async () => {
    const findings = await findingsOf('validation:\n  rules:\n    dup.near: {threshold: 2}\n    pii.mail: {enabled: false}\nsteps:\n  - clean: {}\n', rows);
    expect(findings.map((f) => [f.path, f.line])).toEqual([
      ['validation.rules["dup.near"].threshold', 3],
      ['validation.rules["pii.mail"]', 4],
    ]);
  });

  it('the recipe hash ignores comments, key order and defaults written out', async () => {
    const a = await validateRecipe('steps:\n  - dedup: {near: true, exact: true}  # both\n', null);
    const b = await validateRecipe('# same\nsteps:\n  - dedup: {exact: true, near: true}\n', null);
    const c = await validateRecipe('steps:\n  - dedup: {exact: true}\n', null);
    expect(recipeHash(a.recipe!)).toBe(recipeHash(b.recipe!));
    expect(recipeHash(a.recipe!)).not.toBe(recipeHash(c.recipe!));
  });
});

describe('the shipped example recipes', () => {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/recipes');
  const schemas: Record<string, Array<Record<string, unknown>>> = {
    'clean-dedup-recipe.yaml': [{ id: 1, text: 'hello' }],
    'sft-alpaca-recipe.yaml': [{ question: 'q', context: 'c', answer: 'a' }],
  };
  it.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('%s is valid for the data it is written for', async (name) => {
    const yaml = readFileSync(path.join(dir, name), 'utf8');
    expect(schemas[name], `add the columns ${name} expects to this test`).toBeDefined();
    expect(await findingsOf(yaml, schemas[name], 'question' in schemas[name]![0]! ? 'question' : 'text')).toEqual([]);
  });
});
