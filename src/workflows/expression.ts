/**
 * The small expression language of a step's `if:` and of `${{ … }}` in its `with:`. Parsed, never
 * eval'd: literals (numbers, 'strings' or "strings", true, false, null), references
 * (`steps.train.outputs.model`, `steps.a.outputs.items[0]`, `steps.a.state`), comparisons
 * (== != < <= > >=), `!`, `&&`, `||` and parentheses.
 *
 *   or      := and ('||' and)*
 *   and     := not ('&&' not)*
 *   not     := '!' not | compare
 *   compare := primary (('=='|'!='|'<'|'<='|'>'|'>=') primary)?
 *   primary := literal | reference | '(' or ')'
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Expression =
  | { kind: 'literal'; value: Json }
  | { kind: 'ref'; path: Array<string | number>; text: string; offset: number }
  | { kind: 'not'; operand: Expression }
  | { kind: 'and' | 'or'; left: Expression; right: Expression }
  | { kind: 'compare'; op: CompareOp; left: Expression; right: Expression };

/** A syntax error at `offset` (0-based, in the expression text). */
export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

type Token =
  | { type: 'num'; value: number; offset: number }
  | { type: 'str'; value: string; offset: number }
  | { type: 'ident'; value: string; offset: number }
  | { type: 'op'; value: string; offset: number }
  | { type: 'end'; offset: number };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))!;
      tokens.push({ type: 'num', value: Number(match[0]), offset: i });
      i += match[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new ExpressionSyntaxError(`unterminated string: add the closing ${c}`, i);
      tokens.push({ type: 'str', value: text.slice(i + 1, end), offset: i });
      i = end + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i))!;
      tokens.push({ type: 'ident', value: match[0], offset: i });
      i += match[0].length;
      continue;
    }
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (!op) {
      const hint = c === '=' ? ' (compare with ==)' : c === '&' || c === '|' ? ` (use ${c}${c})` : '';
      throw new ExpressionSyntaxError(`unexpected character "${c}"${hint}`, i);
    }
    tokens.push({ type: 'op', value: op, offset: i });
    i += op.length;
  }
  tokens.push({ type: 'end', offset: text.length });
  return tokens;
}

/** Parses an expression, or throws ExpressionSyntaxError saying what is wrong and where. */
export function parseExpression(text: string): Expression {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const isOp = (value: string): boolean => {
    const token = peek();
    return token.type === 'op' && token.value === value;
  };
  const describe = (token: Token): string => (token.type === 'end' ? 'the end' : `"${text.slice(token.offset).split(/\s/)[0]}"`);

  const primary = (): Expression => {
    const token = peek();
    if (token.type === 'num' || token.type === 'str') {
      pos++;
      return { kind: 'literal', value: token.value };
    }
    if (token.type === 'op' && token.value === '(') {
      pos++;
      const inner = or();
      if (!isOp(')')) throw new ExpressionSyntaxError(`expected ")" but found ${describe(peek())}`, peek().offset);
      pos++;
      return inner;
    }
    if (token.type === 'ident') {
      pos++;
      if (token.value === 'true' || token.value === 'false') return { kind: 'literal', value: token.value === 'true' };
      if (token.value === 'null') return { kind: 'literal', value: null };
      const path: Array<string | number> = [token.value];
      for (;;) {
        if (isOp('.')) {
          pos++;
          const name = peek();
          if (name.type !== 'ident') throw new ExpressionSyntaxError(`expected a name after "." but found ${describe(name)}`, name.offset);
          pos++;
          path.push(name.value);
        } else if (isOp('[')) {
          pos++;
          const index = peek();
          if (index.type !== 'num' && index.type !== 'str') throw new ExpressionSyntaxError(`expected a number or a 'key' inside [ ] but found ${describe(index)}`, index.offset);
          pos++;
          if (!isOp(']')) throw new ExpressionSyntaxError(`expected "]" but found ${describe(peek())}`, peek().offset);
          pos++;
          path.push(index.value);
        } else break;
      }
      const end = peek().offset;
      return { kind: 'ref', path, text: text.slice(token.offset, end).trim(), offset: token.offset };
    }
    throw new ExpressionSyntaxError(`expected a value (a reference such as steps.a.outputs.x, a number, a 'string', true, false or null) but found ${describe(token)}`, token.offset);
  };
  const compare = (): Expression => {
    const left = primary();
    const token = peek();
    if (token.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(token.value)) {
      pos++;
      return { kind: 'compare', op: token.value as CompareOp, left, right: primary() };
    }
    return left;
  };
  const not = (): Expression => {
    if (isOp('!')) {
      pos++;
      return { kind: 'not', operand: not() };
    }
    return compare();
  };
  const and = (): Expression => {
    let left = not();
    while (isOp('&&')) {
      pos++;
      left = { kind: 'and', left, right: not() };
    }
    return left;
  };
  const or = (): Expression => {
    let left = and();
    while (isOp('||')) {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };

  if (peek().type === 'end') throw new ExpressionSyntaxError('the expression is empty', 0);
  const expression = or();
  if (peek().type !== 'end') throw new ExpressionSyntaxError(`unexpected ${describe(peek())}: join conditions with && or ||`, peek().offset);
  return expression;
}

/** Every reference in the expression, in order. */
export function referencesOf(expression: Expression): Array<Extract<Expression, { kind: 'ref' }>> {
  switch (expression.kind) {
    case 'literal':
      return [];
    case 'ref':
      return [expression];
    case 'not':
      return referencesOf(expression.operand);
    default:
      return [...referencesOf(expression.left), ...referencesOf(expression.right)];
  }
}

/** `null`, `false`, `0` and `''` are false; everything else is true. */
export function truthy(value: Json): boolean {
  return !(value === null || value === false || value === 0 || value === '');
}

function equal(a: Json, b: Json): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

function ordered(op: CompareOp, a: Json, b: Json): boolean {
  // Only like with like: a number and a string never compare (no coercion surprises).
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) return false;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/** Evaluates with `lookup` resolving references (a missing one is null). `&&`/`||` give booleans. */
export function evaluate(expression: Expression, lookup: (path: Array<string | number>) => Json | undefined): Json {
  switch (expression.kind) {
    case 'literal':
      return expression.value;
    case 'ref':
      return lookup(expression.path) ?? null;
    case 'not':
      return !truthy(evaluate(expression.operand, lookup));
    case 'and':
      return truthy(evaluate(expression.left, lookup)) && truthy(evaluate(expression.right, lookup));
    case 'or':
      return truthy(evaluate(expression.left, lookup)) || truthy(evaluate(expression.right, lookup));
    case 'compare': {
      const left = evaluate(expression.left, lookup);
      const right = evaluate(expression.right, lookup);
      if (expression.op === '==') return equal(left, right);
      if (expression.op === '!=') return !equal(left, right);
      return ordered(expression.op, left, right);
    }
  }
}

/** Follows `path` into a JSON value; undefined where it leads nowhere. */
export function dig(value: Json | undefined, path: ReadonlyArray<string | number>): Json | undefined {
  let current: Json | undefined = value;
  for (const key of path) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    current = Array.isArray(current) ? (typeof key === 'number' ? current[key] : undefined) : (current as Record<string, Json>)[String(key)];
  }
  return current;
}
