import { createHash } from 'node:crypto';
import protobuf, { type onnx as proto } from 'onnx-proto';
import type { Attr, Branch, Emitter } from '../graph/emitter.js';
import type { Graph } from '../graph/graph.js';
import { OPS, type OpName, onnxDType } from '../graph/op-table.js';
import type { DType, Shape } from '../graph/shape.js';
import type { Node, Tensor, TensorData } from '../graph/tensor.js';

const { onnx } = protobuf;

/** One opset for everything: 23 brings RMSNormalization (verified on ONNX Runtime 1.30). */
export const OPSET = 23;
/** Versions of the other operator domains a node may name ('com.microsoft.MatMulNBits'). */
const DOMAIN_OPSETS: Record<string, number> = { 'com.microsoft': 1 };
const IR_VERSION = 11; // the IR version that goes with opset 23

/** A model ready for ONNX Runtime, and a hash of its bytes (same graph ⇒ same bytes ⇒ same hash). */
export interface EmittedModel {
  bytes: Uint8Array;
  hash: string;
  inputs: { name: string; shape: Shape; dtype: DType }[];
  outputs: { name: string; shape: Shape; dtype: DType }[];
}

/**
 * Emits the nodes that the graph's outputs need (dead nodes are dropped) as an ONNX model.
 * `bake` turns inputs into initializers (e.g. trained parameters, for a self-contained inference model).
 */
export function emitModel(graph: Graph, opts: { bake?: Record<string, TensorData> } = {}): EmittedModel {
  if (graph.outputs.length === 0) throw new Error(`emit: graph '${graph.name}' has no outputs`);
  const needed = liveNodes(graph);
  const names = new Map<Tensor, string>();
  const initializers: proto.ITensorProto[] = [];
  const protoNodes: proto.INodeProto[] = [];
  const ints = new Map<string, string>();
  const domains = new Set<string>();
  let temp = 0;

  // Automatic names start with "#", which Graph never accepts for user names, so they cannot collide.
  for (const [t, leaf] of graph.leaves) names.set(t, leaf.kind === 'constant' ? `#c${t.id}` : leaf.name);
  const aliases: { name: string; tensor: Tensor }[] = [];
  for (const o of graph.outputs) {
    // An output takes the name of the value itself, unless that value already has a name.
    if (names.has(o.tensor)) aliases.push(o);
    else names.set(o.tensor, o.name);
  }
  const usedConstants = new Set<Tensor>();
  let nodeCount = 0; // node names are unique across the model, branches included
  /** An emitter that appends to `into`: the graph's node list, or an If branch's. */
  const emitterInto = (into: proto.INodeProto[]): Emitter => ({
    name(t) {
      const leaf = graph.leaves.get(t);
      if (leaf?.kind === 'constant') usedConstants.add(t);
      let n = names.get(t);
      if (!n) names.set(t, (n = `#t${t.id}`));
      return n;
    },
    node(opType, inputs, outputs, attrs) {
      const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => `#tmp${temp++}`) : outputs;
      const dot = opType.lastIndexOf('.');
      const domain = dot < 0 ? '' : opType.slice(0, dot);
      if (domain && !(domain in DOMAIN_OPSETS)) throw new Error(`emit: unknown operator domain '${domain}' in ${opType}; add its version to DOMAIN_OPSETS`);
      if (domain) domains.add(domain);
      into.push({
        name: `n${nodeCount++}_${opType.slice(dot + 1)}`,
        opType: opType.slice(dot + 1),
        ...(domain ? { domain } : {}),
        input: inputs,
        output: outs,
        attribute: Object.entries(attrs ?? {}).map(([k, v]) => attribute(k, v)),
      });
      return outs;
    },
    ints(values) {
      // Initializers of the main graph: a branch reads them as outer-scope values.
      const key = values.join(',');
      let n = ints.get(key);
      if (!n) {
        ints.set(key, (n = `#ints${ints.size}`));
        initializers.push(tensorProto(n, BigInt64Array.from(values.map(BigInt)), [values.length], 'int64'));
      }
      return n;
    },
    ifElse(cond, outputs, then, otherwise) {
      const branch = (name: string, build: Branch): proto.IAttributeProto => {
        const nodes: proto.INodeProto[] = [];
        const results = build(emitterInto(nodes));
        if (results.length !== outputs.length) throw new Error(`emit: an If branch returned ${results.length} values for ${outputs.length} outputs`);
        // Types only: each branch's shapes may differ (ONNX Runtime infers them at run time).
        const output = results.map((r, i) => ({ name: r, type: { tensorType: { elemType: onnxDType(outputs[i]!.dtype) } } }));
        return { name, type: onnx.AttributeProto.AttributeType.GRAPH, g: { name: `${name}${nodeCount}`, node: nodes, output } };
      };
      const attribute = [branch('then_branch', then), branch('else_branch', otherwise)];
      into.push({ name: `n${nodeCount++}_If`, opType: 'If', input: [cond], output: outputs.map((o) => o.name), attribute });
    },
  });
  const emitter = emitterInto(protoNodes);

  for (const n of needed) OPS[n.op as OpName].emit(emitter, n as Node<never>);
  for (const a of aliases) emitter.node('Identity', [emitter.name(a.tensor)], [a.name]);
  for (const t of usedConstants) {
    const leaf = graph.leaves.get(t);
    if (leaf?.kind === 'constant') initializers.push(tensorProto(names.get(t)!, leaf.data, t.shape as number[], t.dtype));
  }

  const bake = opts.bake ?? {};
  for (const { name, tensor } of graph.inputs().filter((i) => bake[i.name])) {
    const n = tensor.shape.reduce<number>((a, d) => a * (d as number), 1);
    if (!tensor.shape.every((d) => typeof d === 'number') || bake[name]!.length !== n)
      throw new Error(`emit: cannot bake '${name}' ${tensor.shape.join('x')} from ${bake[name]!.length} values`);
    initializers.push(tensorProto(name, bake[name]!, tensor.shape as number[], tensor.dtype));
  }
  const inputs = graph.inputs().filter((i) => !bake[i.name]).map(({ name, tensor }) => ({ name, shape: tensor.shape, dtype: tensor.dtype }));
  const outputs = graph.outputs.map(({ name, tensor }) => ({ name, shape: tensor.shape, dtype: tensor.dtype }));
  const model: proto.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'crucible-engine',
    opsetImport: [{ domain: '', version: OPSET }, ...[...domains].sort().map((domain) => ({ domain, version: DOMAIN_OPSETS[domain]! }))],
    graph: {
      name: graph.name,
      node: protoNodes,
      initializer: initializers,
      input: inputs.map(valueInfo),
      output: outputs.map(valueInfo),
    },
  };
  const bytes = onnx.ModelProto.encode(model).finish();
  return { bytes, hash: createHash('sha256').update(bytes).digest('hex'), inputs, outputs };
}

function liveNodes(graph: Graph): Node[] {
  const live = new Set<Node>();
  const stack = graph.outputs.map((o) => o.tensor);
  while (stack.length) {
    const n = stack.pop()!.node;
    if (n && !live.has(n)) {
      live.add(n);
      stack.push(...n.inputs);
    }
  }
  return graph.nodes.filter((n) => live.has(n));
}

function valueInfo({ name, shape, dtype }: { name: string; shape: Shape; dtype: DType }): proto.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: onnxDType(dtype), shape: { dim } } } };
}

function tensorProto(name: string, data: TensorData, dims: number[], dtype: DType): proto.ITensorProto {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dims, dataType: onnxDType(dtype), rawData: raw };
}

const TYPED: Record<DType, (v: number) => TensorData> = {
  float32: (v) => Float32Array.of(v),
  float64: (v) => Float64Array.of(v),
  int32: (v) => Int32Array.of(v),
  int64: (v) => BigInt64Array.of(BigInt(v)),
  bool: (v) => Uint8Array.of(v ? 1 : 0),
  uint8: (v) => Uint8Array.of(v),
};

function attribute(name: string, v: Attr): proto.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('f' in v) return { name, type: T.FLOAT, f: v.f };
  return { name, type: T.TENSOR, t: tensorProto('', TYPED[v.dtype](v.value), [1], v.dtype) };
}
