import { describe, expect, it } from 'vitest';
import { JobTypeRegistry } from '../jobs/index.js';
import { findCycles, topologicalOrder, validateWorkflow } from './validate.js';

const types = new JobTypeRegistry();
/** `line:column path [code]` of each finding, and the messages. */
function check(yaml: string): { at: string[]; messages: string[] } {
  const { findings } = validateWorkflow(yaml, types);
  return { at: findings.map((f) => `${f.line}:${f.column} ${f.path} [${f.code}]`), messages: findings.map((f) => f.message) };
}

describe('validateWorkflow', () => {
  it('accepts a valid workflow and normalizes it (needs as a list, retries, with defaults)', () => {
    const { findings, definition } = validateWorkflow('name: ok\nsteps:\n  a:\n    uses: noop\n  b:\n    uses: noop\n    needs: a\n    retries: 2\n    if: steps.a.state == \'succeeded\'\n', types);
    expect(findings).toEqual([]);
    expect(definition!.steps.b).toEqual({ uses: 'noop', with: {}, needs: ['a'], if: "steps.a.state == 'succeeded'", retries: 2 });
  });

  it('YAML syntax errors point at the line', () => {
    const { at } = check('name: x\nsteps:\n  a: [1,\n');
    expect(at[0]).toMatch(/^\d+:\d+ \(file\) \[workflow_yaml_invalid\]$/);
  });

  it('unknown fields, with a suggestion, at the key; missing uses at the step', () => {
    const { at, messages } = check('name: x\nsteps:\n  a:\n    uses: noop\n    need: [b]\n  b:\n    with: {}\nextra: 1\n');
    expect(at).toEqual(['5:5 steps.a.need [workflow_field_invalid]', '6:3 steps.b.uses [workflow_field_invalid]', '8:1 extra [workflow_field_invalid]']);
    expect(messages[0]).toContain('unknown field "need" (did you mean "needs"?)');
  });

  it('unknown step types name the known ones', () => {
    const { at, messages } = check('name: x\nsteps:\n  a:\n    uses: comand\n');
    expect(at).toEqual(['4:11 steps.a.uses [workflow_step_type_unknown]']);
    expect(messages[0]).toBe('unknown job type "comand" (did you mean "command"?); known types: command, noop.');
  });

  it("payloads are checked by the type's schema: missing inputs and wrong types at their path", () => {
    const { at, messages } = check('name: x\nsteps:\n  a:\n    uses: command\n    with:\n      env: { A: 1 }\n  b:\n    uses: noop\n    with:\n      sleepMs: -5\n');
    expect(at).toEqual(['5:5 steps.a.with.command [workflow_payload_invalid]', '6:17 steps.a.with.env.A [workflow_payload_invalid]', '10:16 steps.b.with.sleepMs [workflow_payload_invalid]']);
    expect(messages[0]).toContain('missing input "command" for a command step');
  });

  it('a value with ${{ }} is checked when the step runs, not before', () => {
    const { at } = check('name: x\nsteps:\n  a:\n    uses: noop\n  b:\n    uses: noop\n    needs: [a]\n    with: { sleepMs: "${{ steps.a.outputs.ms }}" }\n');
    expect(at).toEqual([]);
  });

  it('unknown needs, with a suggestion, at the list item', () => {
    const { at, messages } = check('name: x\nsteps:\n  validate:\n    uses: noop\n  train:\n    uses: noop\n    needs: [validate, valdiate]\n');
    expect(at).toEqual(['7:23 steps.train.needs[1] [workflow_needs_unknown]']);
    expect(messages[0]).toBe('unknown step "valdiate" (did you mean "validate"?); steps are validate, train.');
  });

  it('cycles are named, once each; a step needing itself too', () => {
    const { at, messages } = check('name: x\nsteps:\n  a:\n    uses: noop\n    needs: [c]\n  b:\n    uses: noop\n    needs: [a]\n  c:\n    uses: noop\n    needs: [b]\n  d:\n    uses: noop\n    needs: d\n');
    expect(at).toEqual(['5:13 steps.a.needs[0] [workflow_cycle]', '14:12 steps.d.needs [workflow_cycle]']);
    expect(messages[0]).toContain('cycle a → b → c → a');
    expect(findCycles({ a: { needs: ['b'] }, b: { needs: ['a'] }, c: { needs: ['a'] } })).toEqual([['a', 'b']]);
  });

  it('bad if expressions point at the character; references must name upstream steps and what they expose', () => {
    const { at, messages } = check(
      "name: x\nsteps:\n  a:\n    uses: noop\n  b:\n    uses: noop\n    if: steps.a.outputs.n = 1\n  c:\n    uses: noop\n    needs: [a]\n    if: steps.a.result == 1 && steps.d.state == 'x'\n  d:\n    uses: noop\n    with: { sleepMs: '${{ steps.c.outputs.ms }}' }\n",
    );
    expect(at).toEqual([
      '7:27 steps.b.if [workflow_if_invalid]',
      '11:9 steps.c.if [workflow_reference_invalid]',
      '11:32 steps.c.if [workflow_reference_invalid]',
      '14:27 steps.d.with.sleepMs [workflow_reference_invalid]',
    ]);
    expect(messages[0]).toContain('(compare with ==)');
    expect(messages[1]).toContain('a step exposes outputs.<name>, state and job_id');
    expect(messages[2]).toContain('not upstream of "c": add "d" to its needs');
    expect(messages[3]).toContain('not upstream of "d"');
  });

  it('orders steps after their needs', () => {
    expect(topologicalOrder({ d: { needs: ['b', 'c'] }, b: { needs: ['a'] }, c: { needs: ['a'] }, a: { needs: [] } })).toEqual(['a', 'b', 'c', 'd']);
  });
});
