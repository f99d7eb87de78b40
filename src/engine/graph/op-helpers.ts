/** What the op table's rows share: shape and dtype checks, the plain emitter, gradient helpers. */
import type { Attr, Emitter } from './emitter.js';
import type { NBits, OpAttrs, OpName, OpRow, Reduce } from './op-table.js';
import * as g from './ops.js';
import { type DType, type Dim, type Shape, ShapeError, broadcast, fmtShape, isFloat, isStatic } from './shape.js';
import type { Node, Tensor, TensorType } from './tensor.js';

/** Rows for some of the ops: each op-rows-*.ts module fills its part of the table. */
export type Rows<K extends OpName> = { [P in K]: OpRow<OpAttrs[P]> };

export const fail = (msg: string): never => { throw new ShapeError(msg); };
const DTYPE_CODE: Record<DType, number> = { float32: 1, float64: 11, int32: 6, int64: 7, bool: 9, uint8: 2 };
export const onnxDType = (d: DType): number => DTYPE_CODE[d];

/** Emits `opType` with the node's inputs and outputs in order. */
export const direct = <A>(opType: string, attrs?: (a: A) => Record<string, Attr>) => (e: Emitter, n: Node<A>): void => {
  e.node(opType, n.inputs.map((t) => e.name(t)), n.outputs.map((t) => e.name(t)), attrs?.(n.attrs));
};

export function sameDType(op: string, xs: readonly Tensor[]): DType {
  const d = xs[0]!.dtype;
  for (const x of xs) if (x.dtype !== d) fail(`${op}: dtype mismatch ${xs.map((t) => t.dtype).join(' vs ')}`);
  return d;
}
export function floatOnly(op: string, x: Tensor): DType {
  return isFloat(x.dtype) ? x.dtype : fail(`${op}: expected a float tensor, got ${x.dtype} ${fmtShape(x.shape)}`);
}
export function broadcastOrFail(op: string, xs: readonly Tensor[]): Dim[] {
  let s: Dim[] | null = [...xs[0]!.shape];
  for (const x of xs.slice(1)) s = s && broadcast(s, x.shape);
  return s ?? fail(`${op}: cannot broadcast ${xs.map((x) => fmtShape(x.shape)).join(' with ')}`);
}
export const elementwise = (op: string, out?: DType) => (xs: readonly Tensor[]): TensorType[] => {
  const dtype = sameDType(op, xs);
  return [{ shape: broadcastOrFail(op, xs), dtype: out ?? dtype }];
};
export const unaryFloat = (op: string) => (xs: readonly Tensor[]): TensorType[] => [{ shape: xs[0]!.shape, dtype: floatOnly(op, xs[0]!) }];
export const noGrad = (n: Node<unknown>): null[] => n.inputs.map(() => null);
export const reducedShape = (s: Shape, { axes, keepdims }: Reduce): Dim[] =>
  keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
/** The gradient of a reduction's output, with the reduced axes kept as 1s. */
export const keptGrad = (gy: Tensor, x: Tensor, r: Reduce): Tensor => (r.keepdims ? gy : g.reshape(gy, reducedShape(x.shape, { ...r, keepdims: true })));
export const expandTo = (t: Tensor, x: Tensor): Tensor => (isStatic(x.shape) ? g.expand(t, x.shape) : g.expand(t, x.shape, x));
export const staticDim = (op: string, x: Tensor, axis: number): number =>
  typeof x.shape[axis] === 'number' ? (x.shape[axis] as number) : fail(`${op}: axis ${axis} of ${fmtShape(x.shape)} must have a fixed size`);

/** Checks codes and scales against MatMulNBits' layout for W [K, N]. */
export function nbitsLayout(op: string, codes: Tensor, scales: Tensor, { K, N, bits, blockSize: bs }: NBits): void {
  const nb = Math.ceil(K / bs);
  if ((bits !== 4 && bits !== 8) || bs < 16 || (bs & (bs - 1)) !== 0)
    fail(`${op}: bits must be 4 or 8 and block size a power of two ≥ 16, got bits=${bits} block=${bs}`);
  if (codes.dtype !== 'uint8' || !sameShape(codes.shape, [N, nb, (bs * bits) / 8]) || !sameShape(scales.shape, [N, nb]))
    fail(`${op}: expected uint8 codes [${N},${nb},${(bs * bits) / 8}] and scales [${N},${nb}] for W [${K},${N}], got ${fmtShape(codes.shape)} ${codes.dtype} and ${fmtShape(scales.shape)}`);
}

export const isIndex = (t: Tensor): boolean => t.dtype === 'int64' || t.dtype === 'int32';

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
