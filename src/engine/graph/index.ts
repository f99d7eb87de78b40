export { Graph, type Leaf } from './graph.js';
export { Tensor, type Node, type TensorData, type TensorType } from './tensor.js';
export { type DType, type Dim, type Shape, ShapeError, isFloat, fmtShape, numel } from './shape.js';
export { OPS, type OpAttrs, type OpName, type OpRow, onnxDType } from './op-table.js';
export type { Emitter, Attr } from './emitter.js';
export { grad } from './autodiff.js';
export * as ops from './ops.js';
