import { describe, expect, it } from 'vitest';
import { transformRows } from '../test-support.js';

const ALPACA_HEAD = 'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.';

describe('template', () => {
  it('alpaca: with and without an input, from mapped fields, into the text field', async () => {
    const rows = [
      { q: 'Add the numbers.', ctx: '2 and 3', a: '5' },
      { q: 'Name a colour.', ctx: '', a: 'Blue' },
    ];
    const out = await transformRows('steps:\n  - template: {format: alpaca, fields: {instruction: q, input: ctx, output: a}}\n', rows, 'q');
    expect(out.rows[0]!.text).toBe(`${ALPACA_HEAD}\n\n### Instruction:\nAdd the numbers.\n\n### Input:\n2 and 3\n\n### Response:\n5`);
    expect(out.rows[1]!.text).toBe('Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nName a colour.\n\n### Response:\nBlue');
    expect(out.textField).toBe('text');
  });

  const chat = [{ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Bye' }, { role: 'assistant', content: 'See you.' }], text: '' }];

  it('chatml, with a system prompt prepended', async () => {
    const out = await transformRows('steps:\n  - template: {format: chatml, system: Be brief.}\n', chat);
    expect(out.rows[0]!.text).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nSee you.<|im_end|>');
  });

  it('llama-2: the system prompt inside the first [INST], one <s>…</s> per turn', async () => {
    const out = await transformRows('steps:\n  - template: {format: llama-2, system: Be brief.}\n', chat);
    expect(out.rows[0]!.text).toBe('<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST] See you. </s>');
  });

  it('completion and custom {{field}} templates', async () => {
    const rows = [{ prompt: 'The capital of France is', completion: ' Paris.', n: 3, text: '' }];
    const completion = await transformRows('steps:\n  - template: {format: completion, separator: ""}\n', rows);
    expect(completion.rows[0]!.text).toBe('The capital of France is Paris.');
    const custom = await transformRows('steps:\n  - template: {format: custom, template: "Q: {{prompt}}\\nA:{{ completion }} ({{n}})", output: train_text}\n', rows);
    expect(custom.rows[0]!.train_text).toBe('Q: The capital of France is\nA: Paris. (3)');
    expect(custom.textField).toBe('train_text');
  });

  it('a record whose messages do not alternate fails the run with its position', async () => {
    const bad = [{ messages: [{ role: 'assistant', content: 'x' }], text: '' }];
    await expect(transformRows('steps:\n  - template: {format: llama-2}\n', bad)).rejects.toThrow(/record 0: llama-2 needs messages alternating user, assistant/);
  });
});
