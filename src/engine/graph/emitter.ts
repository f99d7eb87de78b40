import type { DType } from './shape.js';
import type { Tensor } from './tensor.js';

/** An ONNX attribute value: integer, float ({ f }), string, integer list, or a one-element tensor. */
export type Attr = number | string | number[] | { f: number } | { value: number; dtype: DType };

/** What an op row sees while its node is written as ONNX (implemented in onnx/emit.ts). */
export interface Emitter {
  /** The ONNX value name of a tensor. */
  name(t: Tensor): string;
  /**
   * Appends an ONNX node; `outputs` is names, or a count of fresh temporary names. Returns the names.
   * An op of another domain is named with it: 'com.microsoft.MatMulNBits' (ONNX op types have no dots).
   */
  node(opType: string, inputs: string[], outputs: string[] | number, attrs?: Record<string, Attr>): string[];
  /** A 1-D int64 initializer (deduplicated), e.g. axes or a shape. */
  ints(values: readonly number[]): string;
  /**
   * Appends an ONNX If node: `cond` (a one-element bool) picks the branch that computes `outputs` at run time.
   * Each branch appends its nodes through the emitter it is given (they read outer values by name) and
   * returns the names of its results, one per output.
   */
  ifElse(cond: string, outputs: { name: string; dtype: DType }[], then: Branch, otherwise: Branch): void;
}

/** Builds one branch of an If node; returns the names of its results. */
export type Branch = (e: Emitter) => string[];
