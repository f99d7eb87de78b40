import { dig, evaluate, ExpressionSyntaxError, parseExpression, type Expression, type Json } from './expression.js';

const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

/** One `${{ … }}` inside a string: its expression, and where it sits in that string. */
export interface TemplateSlot {
  source: string;
  /** Offset of the expression text (after `${{`) in the string. */
  offset: number;
  expression: Expression | null;
  error: ExpressionSyntaxError | null;
}

/** The `${{ … }}` slots of a string, each parsed (or with its syntax error). */
export function templateSlots(value: string): TemplateSlot[] {
  const slots: TemplateSlot[] = [];
  for (const match of value.matchAll(TEMPLATE)) {
    const source = match[1]!;
    const offset = match.index + 3;
    try {
      slots.push({ source, offset, expression: parseExpression(source), error: null });
    } catch (err) {
      if (!(err instanceof ExpressionSyntaxError)) throw err;
      slots.push({ source, offset, expression: null, error: err });
    }
  }
  return slots;
}

/** Every string in a JSON value with its path, e.g. [['dataset'], 'x'], [['args', 0], 'y']. */
export function stringsOf(value: Json | undefined, path: Array<string | number> = []): Array<[Array<string | number>, string]> {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsOf(item, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => stringsOf(item, [...path, key]));
  return [];
}

/** Thrown when a `${{ … }}` refers to nothing (an output the upstream step did not produce). */
export class UnresolvedReferenceError extends Error {}

function resolveString(value: string, lookup: (path: Array<string | number>) => Json | undefined): Json {
  const slots = templateSlots(value);
  if (slots.length === 0) return value;
  const valueOf = (slot: TemplateSlot): Json => {
    if (!slot.expression) throw new UnresolvedReferenceError(`"\${{${slot.source}}}" is not a valid expression: ${slot.error?.message}`);
    if (slot.expression.kind === 'ref') {
      const found = lookup(slot.expression.path);
      if (found === undefined) throw new UnresolvedReferenceError(`${slot.expression.text} has no value`);
      return found;
    }
    return evaluate(slot.expression, lookup);
  };
  // A string that is one `${{ … }}` and nothing else takes the value as it is (a number stays a number).
  if (slots.length === 1 && value.trim() === `\${{${slots[0]!.source}}}`) return valueOf(slots[0]!);
  return value.replace(TEMPLATE, (_whole, source: string) => {
    const found = valueOf(slots.find((slot) => slot.source === source)!);
    return typeof found === 'string' ? found : JSON.stringify(found);
  });
}

/** `with` with every `${{ … }}` replaced by its value. Throws UnresolvedReferenceError naming what is missing. */
export function resolveTemplates(value: Json, lookup: (path: Array<string | number>) => Json | undefined): Json {
  if (typeof value === 'string') return resolveString(value, lookup);
  if (Array.isArray(value)) return value.map((item) => resolveTemplates(item, lookup));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveTemplates(item, lookup)]));
  return value;
}

export { dig };
