import { describe, expect, it } from 'vitest';
import { checkChat, checkInstruction } from './schema-shape.js';
import { Validator } from './validator.js';

const kinds = (problems: { kind: string; path: string }[]): string[] => problems.map((p) => `${p.kind}@${p.path}`);

describe('checkChat', () => {
  it('accepts a well-formed conversation, tool-call turns included', () => {
    expect(checkChat({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: null, tool_calls: [{}] }, { role: 'tool', content: '42' }] })).toEqual([]);
  });

  it('reports each problem with the path of the field', () => {
    expect(kinds(checkChat({}))).toEqual(['missing_field@messages']);
    expect(kinds(checkChat({ messages: 'hi' }))).toEqual(['wrong_type@messages']);
    expect(kinds(checkChat({ messages: [] }))).toEqual(['empty_content@messages']);
    expect(kinds(checkChat({ messages: [{ role: 'human', content: 'a' }, { content: 'b' }, { role: 'user', content: '  ' }, { role: 'assistant', content: 7 }, 'x'] }))).toEqual([
      'wrong_role@messages[0].role', 'missing_field@messages[1].role', 'empty_content@messages[2].content', 'wrong_type@messages[3].content', 'wrong_type@messages[4]',
    ]);
  });
});

describe('checkInstruction', () => {
  it('requires instruction and output, allows an empty input', () => {
    expect(checkInstruction({ instruction: 'Add', input: '', output: '2' })).toEqual([]);
    expect(kinds(checkInstruction({ instruction: '', input: 3 }))).toEqual(['empty_content@instruction', 'wrong_type@input', 'missing_field@output']);
  });
});

describe('schema.* findings', () => {
  it('counts records per problem kind and names the paths', async () => {
    const records = [
      { id: 'a', text: '', fields: { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] } },
      { id: 'b', text: '', fields: { messages: [{ role: 'gpt', content: 'hi' }] } },
      { id: 'c', text: '', fields: { messages: [{ role: 'user' }, { role: 'bot', content: 'x' }] } },
      { id: 'd', text: '' },
    ];
    const { findings } = await new Validator({ shape: 'chat', rules: { empty: { enabled: false } } }).run(records);
    const byRule = Object.fromEntries(findings.map((f) => [f.rule, f]));
    expect(byRule['schema.wrong_role']).toMatchObject({ count: 2, examples: ['b', 'c'], severity: 'error' });
    expect(byRule['schema.wrong_role']?.message).toContain('messages[0].role');
    expect(byRule['schema.missing_field']).toMatchObject({ count: 2, examples: ['c', 'd'] });
    expect(byRule['schema.missing_field']?.message).toMatch(/messages\[0\]\.content \(1\)/);
  });
});
