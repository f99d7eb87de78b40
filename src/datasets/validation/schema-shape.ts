/**
 * schema.* rules for structured training data, checked against the dataset's declared shape:
 *   chat:        { messages: [{ role: system|user|assistant|tool, content: string }, …] }
 *   instruction: { instruction: string, input?: string, output: string }
 * Each problem is reported with the path of the field ("messages[2].role"), so it can be found.
 */
import type { ValidationConfig } from './config.js';
import { records } from './finding-collector.js';
import type { DatasetRecord, Finding, RecordId, Rule } from './types.js';

export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const;

export type SchemaProblemKind = 'missing_field' | 'wrong_role' | 'empty_content' | 'wrong_type';

export interface SchemaProblem {
  kind: SchemaProblemKind;
  path: string;
  detail: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Problems of one record's fields against the chat shape. */
export function checkChat(fields: Record<string, unknown>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const messages = fields['messages'];
  if (messages === undefined) return [{ kind: 'missing_field', path: 'messages', detail: 'no messages field' }];
  if (!Array.isArray(messages)) return [{ kind: 'wrong_type', path: 'messages', detail: `expected array, got ${typeName(messages)}` }];
  if (messages.length === 0) return [{ kind: 'empty_content', path: 'messages', detail: 'no messages' }];
  messages.forEach((m: unknown, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) {
      problems.push({ kind: 'wrong_type', path: at, detail: `expected object, got ${typeName(m)}` });
      return;
    }
    const role = m['role'];
    if (role === undefined) problems.push({ kind: 'missing_field', path: `${at}.role`, detail: 'no role' });
    else if (typeof role !== 'string') problems.push({ kind: 'wrong_type', path: `${at}.role`, detail: `expected string, got ${typeName(role)}` });
    else if (!(CHAT_ROLES as readonly string[]).includes(role)) problems.push({ kind: 'wrong_role', path: `${at}.role`, detail: `role "${role.slice(0, 20)}" is not one of ${CHAT_ROLES.join('/')}` });
    const content = m['content'];
    // An assistant turn that only calls tools carries tool_calls and no content (OpenAI's format).
    const toolCallOnly = (content === undefined || content === null) && Array.isArray(m['tool_calls']);
    if (toolCallOnly) return;
    if (content === undefined) problems.push({ kind: 'missing_field', path: `${at}.content`, detail: 'no content' });
    else if (typeof content === 'string') {
      if (content.trim() === '') problems.push({ kind: 'empty_content', path: `${at}.content`, detail: 'empty content' });
    } else if (!Array.isArray(content)) problems.push({ kind: 'wrong_type', path: `${at}.content`, detail: `expected string, got ${typeName(content)}` });
  });
  return problems;
}

function requiredText(fields: Record<string, unknown>, name: string, problems: SchemaProblem[]): void {
  const v = fields[name];
  if (v === undefined || v === null) problems.push({ kind: 'missing_field', path: name, detail: `no ${name}` });
  else if (typeof v !== 'string') problems.push({ kind: 'wrong_type', path: name, detail: `expected string, got ${typeName(v)}` });
  else if (v.trim() === '') problems.push({ kind: 'empty_content', path: name, detail: `empty ${name}` });
}

/** Problems of one record's fields against the instruction shape (input is optional and may be empty). */
export function checkInstruction(fields: Record<string, unknown>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  requiredText(fields, 'instruction', problems);
  const input = fields['input'];
  if (input !== undefined && input !== null && typeof input !== 'string') problems.push({ kind: 'wrong_type', path: 'input', detail: `expected string, got ${typeName(input)}` });
  requiredText(fields, 'output', problems);
  return problems;
}

const FIX: Readonly<Record<SchemaProblemKind, string>> = {
  missing_field: 'Map the source columns onto the declared shape (transform step `map`), or drop incomplete records.',
  wrong_role: `Rename roles to ${CHAT_ROLES.join('/')} (e.g. human→user, gpt→assistant) with the transform step \`map\`.`,
  empty_content: 'Drop records with empty turns, or the empty turns themselves, before training.',
  wrong_type: 'Fix the export so each field has the declared type (strings for text, an array for messages).',
};

const WHAT: Readonly<Record<SchemaProblemKind, string>> = {
  missing_field: 'miss a required field',
  wrong_role: 'have a message role outside the allowed set',
  empty_content: 'have an empty required field',
  wrong_type: 'have a field of the wrong type',
};

// Distinct paths tracked per rule before the rest are lumped together (paths carry indices).
const MAX_PATHS = 64;

/** `schema.missing_field`, `schema.wrong_role`, `schema.empty_content`, `schema.wrong_type` for the declared shape. */
export function schemaRule(config: ValidationConfig): Rule {
  const shape = config.shape;
  const check = shape === 'chat' ? checkChat : shape === 'instruction' ? checkInstruction : undefined;
  const kinds = (['missing_field', 'wrong_role', 'empty_content', 'wrong_type'] as const)
    .filter((k) => check !== undefined && config.rules[`schema.${k}`].enabled)
    .map((kind) => ({ kind, count: 0, examples: [] as RecordId[], paths: new Map<string, number>(), firstDetail: '' }));
  return {
    ids: kinds.map((k) => `schema.${k.kind}`),
    observe(record: DatasetRecord) {
      if (check === undefined || kinds.length === 0) return;
      const problems = check(record.fields ?? {});
      if (problems.length === 0) return;
      for (const k of kinds) {
        const mine = problems.filter((p) => p.kind === k.kind);
        if (mine.length === 0) continue;
        k.count++;
        if (k.examples.length < config.maxExamples) k.examples.push(record.id);
        if (k.firstDetail === '') k.firstDetail = `${mine[0]!.path}: ${mine[0]!.detail}`;
        for (const p of new Set(mine.map((m) => m.path))) {
          const key = k.paths.has(p) || k.paths.size < MAX_PATHS ? p : '(other paths)';
          k.paths.set(key, (k.paths.get(key) ?? 0) + 1);
        }
      }
    },
    finish(): Finding[] {
      return kinds
        .filter((k) => k.count > 0)
        .map((k) => {
          const top = [...k.paths].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([p, n]) => `${p} (${n})`).join(', ');
          return {
            rule: `schema.${k.kind}`,
            severity: config.rules[`schema.${k.kind}`].severity,
            count: k.count,
            examples: k.examples,
            message: `${records(k.count)} ${WHAT[k.kind]} of the ${shape} shape, at ${top}; first: ${k.firstDetail}.`,
            fix: FIX[k.kind],
          };
        });
    },
  };
}
