import { describe, expect, it } from 'vitest';
import { evaluate, ExpressionSyntaxError, parseExpression, referencesOf, type Json } from './expression.js';
import { resolveTemplates, UnresolvedReferenceError } from './template.js';
import { dig } from './expression.js';

const outputs: Record<string, Json> = { validate: { errors: 0, ok: true, items: ['x', 'y'] }, train: { loss: 1.5, model: 'm@3' } };
const lookup = (path: Array<string | number>): Json | undefined => {
  const [, step, field, ...rest] = path;
  if (field === 'state') return step === 'validate' ? 'succeeded' : 'skipped';
  return dig(outputs[String(step)], rest);
};
const run = (text: string) => evaluate(parseExpression(text), lookup);

describe('workflow expressions', () => {
  it('compares, negates and combines without coercion', () => {
    expect(run('steps.validate.outputs.errors == 0')).toBe(true);
    expect(run("steps.validate.state == 'succeeded' && steps.train.state == \"skipped\"")).toBe(true);
    expect(run('steps.train.outputs.loss < 2 && !(steps.train.outputs.loss <= 1)')).toBe(true);
    expect(run('steps.validate.outputs.errors > 0 || steps.validate.outputs.ok')).toBe(true);
    expect(run("steps.validate.outputs.errors == '0'")).toBe(false);
    expect(run("steps.validate.outputs.errors < '1'")).toBe(false);
    expect(run("steps.validate.outputs.items[1] == 'y'")).toBe(true);
    expect(run('steps.validate.outputs.missing == null')).toBe(true);
    expect(run('-1.5e0 < 0 && true != false')).toBe(true);
  });

  it('lists references and reports syntax errors with their offset and a hint', () => {
    expect(referencesOf(parseExpression('steps.a.outputs.x == steps.b.state')).map((ref) => ref.text)).toEqual(['steps.a.outputs.x', 'steps.b.state']);
    const cases: Array<[string, number, string]> = [
      ['steps.a.state = 1', 14, 'compare with =='],
      ['steps.a.state == ', 17, 'expected a value'],
      ['a & b', 2, 'use &&'],
      ["steps.a == 'open", 11, 'unterminated string'],
      ['(steps.a == 1', 13, 'expected ")"'],
      ['steps.a steps.b', 8, 'join conditions with && or ||'],
      ['', 0, 'empty'],
    ];
    for (const [text, offset, message] of cases) {
      try {
        parseExpression(text);
        expect.unreachable(text);
      } catch (err) {
        expect(err, text).toBeInstanceOf(ExpressionSyntaxError);
        expect((err as ExpressionSyntaxError).offset, text).toBe(offset);
        expect((err as Error).message, text).toContain(message);
      }
    }
  });

  it('fills ${{ }} in with: a whole-string template keeps the type, an embedded one is text, a missing output is an error', () => {
    expect(
      resolveTemplates({ model: '${{ steps.train.outputs.model }}', loss: '${{steps.train.outputs.loss}}', note: 'loss=${{ steps.train.outputs.loss }} of ${{ steps.train.outputs.model }}', n: [1, '${{ steps.validate.outputs.items }}'] }, lookup),
    ).toEqual({ model: 'm@3', loss: 1.5, note: 'loss=1.5 of m@3', n: [1, ['x', 'y']] });
    expect(() => resolveTemplates({ x: '${{ steps.train.outputs.nope }}' }, lookup)).toThrow(UnresolvedReferenceError);
    expect(() => resolveTemplates({ x: '${{ steps.train.outputs.nope }}' }, lookup)).toThrow('steps.train.outputs.nope has no value');
  });
});
