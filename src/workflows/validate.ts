import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import type { JobTypeRegistry } from '../jobs/index.js';
import { ExpressionSyntaxError, parseExpression, referencesOf, type Expression, type Json } from './expression.js';
import { STEP_ID, StepDefinitionSchema, WorkflowTopSchema, type StepDefinition, type WorkflowDefinition, type WorkflowFinding } from './schema.js';
import { stringsOf, templateSlots } from './template.js';

type Path = Array<string | number>;

const LooseStepSchema = z.object(StepDefinitionSchema.shape);

/** `steps.train.needs[0]`, `steps.a.with["my key"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out || '(top level)';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** ` (did you mean "validate"?)` when one candidate is close enough, else ''. */
export function didYouMean(given: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(given.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const prefix = candidates.find((candidate) => given.length >= 3 && (candidate.startsWith(given) || given.startsWith(candidate) || (candidate.length >= 4 && candidate.slice(0, 4) === given.slice(0, 4))));
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(given.length / 3))) return ` (did you mean "${best}"?)`;
  return prefix === undefined ? '' : ` (did you mean "${prefix}"?)`;
}

/** Where things are in the file: line:column (1-based) of the node at a path, or of its nearest ancestor. */
class SourceMap {
  constructor(
    private readonly doc: Document | null,
    private readonly lines: LineCounter | null,
  ) {}

  private nodeAt(path: Path, key: boolean): Node | null {
    if (!this.doc) return null;
    let node: unknown = this.doc.contents;
    // A missing field is reported at the key it should sit under (`with:` for a missing input).
    let parentKey: Node | null = null;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) return parentKey ?? (node as Node);
        parentKey = pair.key as Node;
        // The key itself, for "unknown field" errors; else its value (a key with no value: the key).
        if ((key && i === path.length - 1) || pair.value === null) return pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
        node = node.items[segment];
      } else {
        return node as Node;
      }
    }
    return node as Node;
  }

  /** Position of the value at `path` (or its key when `key`), plus `offset` characters into a scalar. */
  position(path: Path, options: { key?: boolean; offset?: number } = {}): { line: number | null; column: number | null } {
    const node = this.nodeAt(path, options.key ?? false);
    if (!node?.range || !this.lines) return { line: null, column: null };
    let start = node.range[0];
    if (options.offset !== undefined && isScalar(node) && (node.type === 'PLAIN' || node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE')) {
      start += options.offset + (node.type === 'PLAIN' ? 0 : 1);
    }
    const { line, col } = this.lines.linePos(start);
    return { line, column: col };
  }
}

export interface ValidationResult {
  findings: WorkflowFinding[];
  /** Set when there are no errors: the normalized workflow. */
  definition: WorkflowDefinition | null;
}

/** The workflow's raw value and where its parts are: from YAML (or JSON) text, or an object given as is. */
export function readWorkflowSource(input: string | Record<string, unknown>): { value: unknown; map: SourceMap; findings: WorkflowFinding[] } {
  if (typeof input !== 'string') return { value: input, map: new SourceMap(null, null), findings: [] };
  const lines = new LineCounter();
  const doc = parseDocument(input, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const findings = doc.errors.map((error): WorkflowFinding => {
    const { line, col } = lines.linePos(error.pos[0]);
    return { path: '(file)', line, column: col, severity: 'error', code: 'workflow_yaml_invalid', message: `${error.message}: fix the YAML syntax here.` };
  });
  return { value: findings.length ? undefined : doc.toJS({ maxAliasCount: 100 }), map: new SourceMap(doc, lines), findings };
}

/** What the payload of a step looks like before `${{ … }}` are resolved: each template a placeholder string. */
function templatedPaths(payload: Record<string, Json>): Path[] {
  return stringsOf(payload)
    .filter(([, value]) => templateSlots(value).length > 0)
    .map(([path]) => path);
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((key, i) => String(key) === String(path[i]));
}

/**
 * Checks a workflow file before anything runs and reports every problem with its path and
 * line:column: YAML syntax, fields, unknown job types (against the registry), payloads (by each
 * type's zod schema; values with `${{ … }}` are checked when the step runs), unknown `needs`,
 * cycles, bad `if` expressions and references to steps that are not upstream.
 * @example const { findings } = validateWorkflow(readFileSync('wf.yaml', 'utf8'), jobs.types);
 */
export function validateWorkflow(input: string | Record<string, unknown>, types: JobTypeRegistry): ValidationResult {
  const { value, map, findings } = readWorkflowSource(input);
  if (findings.length) return { findings, definition: null };
  const add = (path: Path, code: string, message: string, options: { key?: boolean; offset?: number } = {}) =>
    findings.push({ path: formatPath(path), ...map.position(path, options), severity: 'error', code, message });
  const zodIssues = (base: Path, error: z.ZodError, code: string, what: string) => {
    for (const issue of error.issues) {
      const path = [...base, ...(issue.path as Path)];
      if (issue.code === 'unrecognized_keys') {
        const known = what === 'step' ? Object.keys(StepDefinitionSchema.shape) : Object.keys(WorkflowTopSchema.shape);
        for (const key of issue.keys) add([...path, key], code, `unknown field "${key}"${didYouMean(key, known)}; a ${what} has ${known.join(', ')}.`, { key: true });
      } else {
        add(path, code, `${issue.message}.`);
      }
    }
  };

  const top = WorkflowTopSchema.safeParse(value ?? {});
  if (!top.success) {
    zodIssues([], top.error, 'workflow_field_invalid', 'workflow');
    if (top.error.issues.some((issue) => issue.path[0] === 'steps' || (issue.path.length === 0 && issue.code !== 'unrecognized_keys'))) return { findings, definition: null };
  }
  const raw = (value as { steps: Record<string, unknown> }).steps;
  const ids = Object.keys(raw);
  const steps: Record<string, StepDefinition> = {};
  for (const id of ids) {
    if (!STEP_ID.test(id)) add(['steps', id], 'workflow_field_invalid', `step id "${id}" must be letters, digits, _ and -, starting with a letter.`, { key: true });
    const parsed = StepDefinitionSchema.safeParse(raw[id] ?? {});
    if (parsed.success) {
      steps[id] = parsed.data;
      continue;
    }
    zodIssues(['steps', id], parsed.error, 'workflow_field_invalid', 'step');
    // Unknown fields alone still leave a step whose other parts can be checked.
    const loose = LooseStepSchema.safeParse(raw[id] ?? {});
    if (loose.success) steps[id] = loose.data;
  }

  // needs: known ids; a step that needs itself is a cycle of one.
  const needsPath = (id: string, i: number): Path => (typeof (raw[id] as { needs?: unknown }).needs === 'string' ? ['steps', id, 'needs'] : ['steps', id, 'needs', i]);
  for (const [id, step] of Object.entries(steps)) {
    step.needs.forEach((need, i) => {
      if (!(need in raw)) add(needsPath(id, i), 'workflow_needs_unknown', `unknown step "${need}"${didYouMean(need, ids)}; steps are ${ids.join(', ')}.`);
      else if (need === id) add(needsPath(id, i), 'workflow_cycle', `step "${id}" needs itself: remove it from its needs.`);
    });
  }
  for (const cycle of findCycles(steps)) {
    // The edge into the cycle's first step: it needs the last one.
    const first = cycle[0]!;
    const i = steps[first]!.needs.indexOf(cycle[cycle.length - 1]!);
    add(needsPath(first, i), 'workflow_cycle', `cycle ${[...cycle, first].join(' → ')}: a step cannot wait for itself; remove one of these needs.`);
  }
  const upstream = upstreamOf(steps);

  // A reference names an upstream step and one of what a step exposes.
  const checkReference = (id: string, ref: Extract<Expression, { kind: 'ref' }>, path: Path, offset: number | undefined) => {
    const [root, stepId, field] = ref.path;
    const at = { ...(offset === undefined ? {} : { offset: offset + ref.offset }) };
    if (root !== 'steps' || typeof stepId !== 'string') {
      return add(path, 'workflow_reference_invalid', `"${ref.text}" refers to nothing: references start with steps.<id>, e.g. steps.${ids[0]}.outputs.x.`, at);
    }
    if (!(stepId in raw)) return add(path, 'workflow_reference_invalid', `"${ref.text}" refers to unknown step "${stepId}"${didYouMean(stepId, ids)}.`, at);
    if (!upstream.get(id)?.has(stepId)) {
      return add(path, 'workflow_reference_invalid', `"${ref.text}" refers to step "${stepId}", which is not upstream of "${id}": add "${stepId}" to its needs.`, at);
    }
    if (field !== 'outputs' && field !== 'state' && field !== 'job_id') {
      return add(path, 'workflow_reference_invalid', `"${ref.text}": a step exposes outputs.<name>, state and job_id, e.g. steps.${stepId}.outputs.x.`, at);
    }
    if (field !== 'outputs' && ref.path.length > 3) add(path, 'workflow_reference_invalid', `"${ref.text}": steps.${stepId}.${field} has no fields.`, at);
  };

  for (const [id, step] of Object.entries(steps)) {
    if (typeof step.if === 'string') {
      try {
        for (const ref of referencesOf(parseExpression(step.if))) checkReference(id, ref, ['steps', id, 'if'], 0);
      } catch (err) {
        if (!(err instanceof ExpressionSyntaxError)) throw err;
        add(['steps', id, 'if'], 'workflow_if_invalid', `bad condition "${step.if}": ${err.message} (at character ${err.offset + 1}).`, { offset: err.offset });
      }
    }
    for (const [path, text] of stringsOf(step.with)) {
      for (const slot of templateSlots(text)) {
        const at: Path = ['steps', id, 'with', ...path];
        if (slot.error) add(at, 'workflow_reference_invalid', `bad expression in "\${{${slot.source}}}": ${slot.error.message}.`, { offset: slot.offset + slot.error.offset });
        else for (const ref of referencesOf(slot.expression!)) checkReference(id, ref, at, slot.offset);
      }
    }

    const definition = types.get(step.uses);
    if (!definition) {
      add(['steps', id, 'uses'], 'workflow_step_type_unknown', `unknown job type "${step.uses}"${didYouMean(step.uses, types.types())}; known types: ${types.types().join(', ')}.`);
      continue;
    }
    // Payload: the type's own schema. A value with ${{ … }} is known only when the step runs.
    const templated = templatedPaths(step.with);
    const parsed = definition.payload.safeParse(step.with);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path as Path;
        if (templated.some((prefix) => startsWith(path, prefix))) continue;
        const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
        add(['steps', id, 'with', ...path], 'workflow_payload_invalid', missing ? `missing input "${formatPath(path)}" for a ${step.uses} step: ${issue.message}.` : `${issue.message} (${step.uses} payload).`);
      }
    }
  }

  findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (findings.length) return { findings, definition: null };
  const { name, description } = value as { name: string; description?: string };
  return { findings, definition: { name, ...(description === undefined ? {} : { description }), steps } };
}

/** Each cycle once, as the step ids around it, starting at the smallest id. */
export function findCycles(steps: Record<string, Pick<StepDefinition, 'needs'>>): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'open');
    stack.push(id);
    for (const need of steps[id]?.needs ?? []) {
      if (!(need in steps) || need === id) continue;
      if (state.get(need) === 'open') {
        const cycle = stack.slice(stack.indexOf(need));
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        // Walking needs goes against the flow: reverse, so the cycle reads in the order steps run.
        const ordered = [rotated[0]!, ...rotated.slice(1).reverse()];
        cycles.set([...ordered].sort().join(','), ordered);
      } else if (!state.has(need)) visit(need);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of Object.keys(steps).sort()) if (!state.has(id)) visit(id);
  return [...cycles.values()];
}

/** For each step, every step it waits for directly or through others. */
export function upstreamOf(steps: Record<string, Pick<StepDefinition, 'needs'>>): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const walk = (id: string, seen: Set<string>) => {
    for (const need of steps[id]?.needs ?? []) {
      if (seen.has(need)) continue;
      seen.add(need);
      walk(need, seen);
    }
  };
  for (const id of Object.keys(steps)) {
    const seen = new Set<string>();
    walk(id, seen);
    seen.delete(id);
    result.set(id, seen);
  }
  return result;
}

/** Step ids ordered so that each comes after its needs (ties in file order). */
export function topologicalOrder(steps: Record<string, Pick<StepDefinition, 'needs'>>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const remaining = Object.keys(steps);
  while (remaining.length) {
    const index = remaining.findIndex((id) => steps[id]!.needs.every((need) => done.has(need) || !(need in steps)));
    const id = remaining.splice(index < 0 ? 0 : index, 1)[0]!;
    done.add(id);
    order.push(id);
  }
  return order;
}
