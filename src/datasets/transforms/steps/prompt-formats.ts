/**
 * The prompt formats of the `template` step, as the models trained on them expect them byte for
 * byte: Alpaca (Stanford's two prompts, with and without an input), ChatML (`<|im_start|>`),
 * Llama 2 chat (`[INST]`, `<<SYS>>`), plain completion, and custom `{{field}}` templates.
 */
import { ValidationError } from '../../../platform/errors.js';
import { asText } from '../types.js';

export interface Message {
  role: string;
  content: string;
}

const ALPACA_WITH_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n';
const ALPACA_NO_INPUT = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n';

/** Alpaca; an empty or missing input uses the prompt without the Input section. */
export function alpaca(instruction: string, input: string, output: string): string {
  return input.trim()
    ? `${ALPACA_WITH_INPUT}### Instruction:\n${instruction}\n\n### Input:\n${input}\n\n### Response:\n${output}`
    : `${ALPACA_NO_INPUT}### Instruction:\n${instruction}\n\n### Response:\n${output}`;
}

/** ChatML: one `<|im_start|>role\ncontent<|im_end|>` block per message, joined by newlines. */
export function chatml(messages: Message[], system?: string): string {
  const all = system !== undefined && messages[0]?.role !== 'system' ? [{ role: 'system', content: system }, ...messages] : messages;
  return all.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>`).join('\n');
}

/**
 * Llama 2 chat: `<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s>` per
 * turn; the system prompt sits inside the first turn. Roles must alternate user/assistant.
 */
export function llama2(messages: Message[], system?: string, where = 'record'): string {
  let rest = messages;
  let sys = system;
  if (rest[0]?.role === 'system') {
    sys = rest[0].content;
    rest = rest.slice(1);
  }
  let out = '';
  for (let i = 0; i < rest.length; i += 2) {
    const user = rest[i]!;
    const assistant = rest[i + 1];
    if (user.role !== 'user' || (assistant !== undefined && assistant.role !== 'assistant')) {
      throw new ValidationError('dataset_transform_record_invalid', `${where}: llama-2 needs messages alternating user, assistant (after an optional system), got ${rest.map((m) => m.role).join(', ')}. Fix the record or filter it out first (where).`);
    }
    const prompt = i === 0 && sys !== undefined ? `<<SYS>>\n${sys}\n<</SYS>>\n\n${user.content}` : user.content;
    out += `<s>[INST] ${prompt} [/INST]${assistant ? ` ${assistant.content} </s>` : ''}`;
  }
  return out;
}

/** A completion pair: prompt, separator, completion. */
export function completion(prompt: string, completionText: string, separator: string): string {
  return `${prompt}${separator}${completionText}`;
}

const SLOT = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** The field names a `{{field}}` template refers to, with each slot's offset in the template. */
export function templateFields(template: string): Array<{ field: string; offset: number }> {
  return [...template.matchAll(SLOT)].map((m) => ({ field: m[1]!, offset: m.index }));
}

/** Fills `{{field}}` slots from the row (null → empty, non-strings as JSON). */
export function fillTemplate(template: string, row: Record<string, unknown>): string {
  return template.replace(SLOT, (_, field: string) => asText(row[field]));
}

/** A messages value as a list of {role, content} (a JSON string is parsed); ValidationError otherwise. */
export function messagesOf(value: unknown, where: string): Message[] {
  const list = typeof value === 'string' ? safeJson(value) : value;
  if (Array.isArray(list) && list.every((m) => m && typeof m === 'object' && typeof (m as Message).role === 'string')) {
    return list.map((m: Message) => ({ role: m.role, content: asText(m.content) }));
  }
  throw new ValidationError('dataset_transform_record_invalid', `${where}: the messages field is not a list of {role, content}. Fix the record or filter it out first (where).`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
