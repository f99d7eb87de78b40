/**
 * W [K, N] back from a quantized weight, computed by ONNX Runtime with the same dequantizeNBits op
 * that the matMulNBits gradient uses (so tests of this also test what training sees).
 */
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { Session } from '../onnx/session.js';
import { type QuantizedWeight, nbitsShapes } from './block-quant.js';

/** The dequantized weight ŵ [K, N] as a row-major Float32Array. */
export async function dequantizeBlocks(q: QuantizedWeight): Promise<Float32Array> {
  const shapes = nbitsShapes(q);
  // Codes and scales are inputs, not constants: one cached session per shape, not one per weight.
  const graph = new Graph('dequantize-nbits');
  const codes = graph.input('codes', shapes.codes, 'uint8');
  const scales = graph.input('scales', shapes.scales);
  graph.output('w', g.transpose(g.dequantizeNBits(codes, scales, { K: q.K, N: q.N, bits: q.bits, blockSize: q.blockSize }))); // [K, N]
  const session = await Session.create(graph, { threads: 1 });
  const out = await session.run({ codes: q.codes, scales: q.scales });
  return out.w!.data as Float32Array;
}
