import { OPS, type OpName } from './op-table.js';
import * as g from './ops.js';
import { ShapeError, fmtShape, isFloat, numel } from './shape.js';
import type { Node, Tensor } from './tensor.js';

/**
 * Reverse-mode gradients of a scalar `loss` with respect to `wrt`, as new tensors of the same graph.
 * Walks the nodes between them in reverse creation order, calling each op's vjp; a value used several
 * times gets the sum of its gradients. A tensor that `loss` does not depend on gets zeros.
 * @example const [dW] = grad(loss, [w]);
 */
export function grad(loss: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  if (!seed && numel(loss.shape) !== 1) throw new ShapeError(`grad: loss must be a scalar, got ${fmtShape(loss.shape)}`);
  for (const w of wrt) if (!isFloat(w.dtype)) throw new ShapeError(`grad: cannot differentiate wrt ${w.dtype} ${w}`);
  const graph = loss.graph;
  const nodes = graph.nodes.slice(0, loss.node ? loss.node.id + 1 : 0); // the backward pass appends to graph.nodes

  // Nodes that depend on some `wrt` (forward sweep) ...
  const live = new Set<Tensor>(wrt);
  const onPath = new Set<Node>();
  for (const n of nodes)
    if (n.inputs.some((t) => live.has(t))) {
      onPath.add(n);
      for (const o of n.outputs) live.add(o);
    }

  // ... and are walked back from the loss, accumulating gradients.
  const grads = new Map<Tensor, Tensor>([[loss, seed ?? g.full(graph, loss.shape as number[], 1, loss.dtype)]]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!onPath.has(n)) continue;
    const gy = n.outputs.map((o) => grads.get(o) ?? null);
    if (gy.every((t) => t === null)) continue;
    const gx = OPS[n.op as OpName].vjp(n as Node<never>, gy);
    n.inputs.forEach((x, k) => {
      const d = gx[k];
      if (!d || !live.has(x) || !isFloat(x.dtype)) return;
      if (d.dtype !== x.dtype || d.shape.length !== x.shape.length || d.shape.some((s, j) => s !== x.shape[j]))
        throw new ShapeError(`${n.op} vjp: gradient ${fmtShape(d.shape)}:${d.dtype} for input ${fmtShape(x.shape)}:${x.dtype}`);
      const prev = grads.get(x);
      grads.set(x, prev ? g.add(prev, d) : d);
    });
  }
  return wrt.map((w) => grads.get(w) ?? g.zerosLike(w));
}
