import { OPS, type OpAttrs, type OpName } from './op-table.js';
import { type DType, type Shape, ShapeError, fmtShape, numel } from './shape.js';
import { type Node, Tensor, type TensorData } from './tensor.js';

/** Where a leaf tensor comes from: fed at run time (input, param) or baked into the model (constant). */
export type Leaf =
  | { kind: 'input'; name: string }
  | { kind: 'param'; name: string }
  | { kind: 'constant'; data: TensorData };

/**
 * An append-only list of nodes: creation order is a topological order.
 * @example
 * const g = new Graph();
 * const x = g.input('x', ['B', 4]);        // [B, 4]
 * const w = g.param('w', [4, 3]);          // [4, 3]
 * g.output('y', ops.matmul(x, w));         // [B, 3]
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly leaves = new Map<Tensor, Leaf>();
  readonly outputs: { name: string; tensor: Tensor }[] = [];
  private nextId = 0;
  private names = new Set<string>();
  private scalars = new Map<string, Tensor>();

  constructor(readonly name = 'crucible') {}

  /** A value fed at run time (tokens, targets, learning rate). */
  input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    return this.leaf({ kind: 'input', name: this.claim(name) }, shape, dtype);
  }

  /** A trainable value fed at run time (parameters live in engine-owned buffers, not in the model). */
  param(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    return this.leaf({ kind: 'param', name: this.claim(name) }, shape, dtype);
  }

  /** A value baked into the model as an initializer. */
  constant(data: TensorData | readonly number[], shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const arr = Array.isArray(data) ? toTyped(data as number[], dtype) : (data as TensorData);
    const n = numel(shape) as number;
    if (arr.length !== n) throw new ShapeError(`constant: ${arr.length} values for shape ${fmtShape(shape)} (${n})`);
    return this.leaf({ kind: 'constant', data: arr }, shape, dtype);
  }

  /** A rank-0 constant, shared by every use of the same value and dtype. */
  scalar(value: number, dtype: DType = 'float32'): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.scalars.get(key);
    if (!t) this.scalars.set(key, (t = this.constant([value], [], dtype)));
    return t;
  }

  /** Marks a tensor as a named model output. */
  output(name: string, t: Tensor): void {
    if (t.graph !== this) throw new ShapeError(`output ${name}: tensor belongs to another graph`);
    this.outputs.push({ name: this.claim(name), tensor: t });
  }

  inputs(): { name: string; tensor: Tensor; kind: 'input' | 'param' }[] {
    const out: { name: string; tensor: Tensor; kind: 'input' | 'param' }[] = [];
    for (const [tensor, leaf] of this.leaves) if (leaf.kind !== 'constant') out.push({ name: leaf.name, tensor, kind: leaf.kind });
    return out;
  }

  params(): Tensor[] {
    return this.inputs().filter((i) => i.kind === 'param').map((i) => i.tensor);
  }

  /** Applies an op of the table: infers and checks shapes, records the node, returns its outputs. */
  apply<K extends OpName>(op: K, inputs: Tensor[], attrs: OpAttrs[K]): Tensor[] {
    for (const t of inputs) if (t.graph !== this) throw new ShapeError(`${op}: operand ${t} belongs to another graph`);
    const types = OPS[op].infer(inputs, attrs);
    const outputs: Tensor[] = [];
    const node: Node<OpAttrs[K]> = { id: this.nodes.length, op, inputs, attrs, outputs };
    types.forEach((ty, i) => outputs.push(new Tensor(this, this.nextId++, ty.shape, ty.dtype, node, i)));
    this.nodes.push(node);
    return outputs;
  }

  private leaf(leaf: Leaf, shape: Shape, dtype: DType): Tensor {
    const t = new Tensor(this, this.nextId++, [...shape], dtype, null);
    this.leaves.set(t, leaf);
    return t;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new ShapeError(`graph: name '${name}' is already used`);
    if (!/^[A-Za-z_][\w.\/:-]*$/.test(name)) throw new ShapeError(`graph: bad name '${name}'`);
    this.names.add(name);
    return name;
  }
}

/** Plain numbers as the typed array of `dtype` (int64 as BigInt64Array, bool as 0/1 bytes). */
export function toTyped(values: readonly number[], dtype: DType): TensorData {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'int64': return BigInt64Array.from(values.map((v) => BigInt(v)));
    case 'bool': return Uint8Array.from(values.map((v) => (v ? 1 : 0)));
    case 'uint8': return Uint8Array.from(values);
  }
}

