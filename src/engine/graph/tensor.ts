import type { DType, Shape } from './shape.js';
import { fmtShape } from './shape.js';
import type { Graph } from './graph.js';

/** A symbolic value in a Graph: nothing is computed until the graph runs. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly shape: Shape,
    readonly dtype: DType,
    /** The node that computes it; null for inputs, parameters and constants. */
    readonly node: Node | null,
    /** Output index within `node`. */
    readonly index = 0,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `Tensor#${this.id}${fmtShape(this.shape)}:${this.dtype}`;
  }
}

/** One application of an op of the table. */
export interface Node<A = unknown> {
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly attrs: A;
  readonly outputs: readonly Tensor[];
}

/** What an op's shape inference returns per output. */
export interface TensorType {
  shape: Shape;
  dtype: DType;
}

/** Host data for a tensor. */
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
