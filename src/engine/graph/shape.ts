/**
 * Shapes: each dim is a fixed size (number) or a named size ('B', 'T', or a product such as 'B*T').
 * Named dims let one graph accept several batch or sequence sizes; training graphs are usually fixed.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** 'uint8' holds packed quantized weights (quantize/); no float op accepts it. */
export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'uint8';

export const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64';

export const fmtShape = (s: Shape): string => `[${s.join(',')}]`;

export const isStatic = (s: Shape): s is readonly number[] => s.every((d) => typeof d === 'number');

/** Product of the dims, or a named product such as '4*B*T' when some are named. */
export function numel(s: Shape): Dim {
  const { coef, syms } = factor(s);
  return syms.length === 0 ? coef : [...(coef === 1 ? [] : [String(coef)]), ...syms].join('*');
}

function factor(s: Shape): { coef: number; syms: string[] } {
  let coef = 1;
  const syms: string[] = [];
  for (const d of s) {
    if (typeof d === 'number') coef *= d;
    else for (const p of d.split('*')) /^\d+$/.test(p) ? (coef *= Number(p)) : syms.push(p);
  }
  return { coef, syms: syms.sort() };
}

/** total / part, when it divides exactly (named factors must cancel); null otherwise. */
export function divideDims(total: Shape, part: Shape): Dim | null {
  const t = factor(total);
  const p = factor(part);
  const syms = [...t.syms];
  for (const s of p.syms) {
    const i = syms.indexOf(s);
    if (i < 0) return null;
    syms.splice(i, 1);
  }
  if (p.coef === 0 || t.coef % p.coef !== 0) return null;
  return numel([t.coef / p.coef, ...syms]);
}

/** Numpy-style broadcasting of two shapes; null if they do not broadcast. */
export function broadcast(a: Shape, b: Shape): Dim[] | null {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else return null;
  }
  return out;
}

/** Resolves a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** A shape or dtype error found while building a graph; the message names the op and the shapes. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** The permutation that swaps the last two of `rank` dims (a batched matrix transpose). */
export const lastTwoSwapped = (rank: number): number[] => [...Array(rank).keys()].map((i) => (i < rank - 2 ? i : 2 * rank - 3 - i));
