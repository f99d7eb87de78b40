/**
 * Disjoint sets over record positions 0..n−1 on a growable Int32Array. The root of a set is its
 * smallest position, so the root is the first record of the cluster in stream order.
 */
export class UnionFind {
  private parent: Int32Array;
  size = 0;

  /** @param capacity positions to hold before the first growth */
  constructor(capacity = 1024) {
    this.parent = new Int32Array(Math.max(1024, capacity));
  }

  /** Add the next position as a singleton; returns it. */
  add(): number {
    if (this.size === this.parent.length) {
      const bigger = new Int32Array(this.parent.length * 2);
      bigger.set(this.parent);
      this.parent = bigger;
    }
    this.parent[this.size] = this.size;
    return this.size++;
  }

  /** Root (smallest member) of x's set, halving the path as it goes. */
  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]!]!;
      x = p[x]!;
    }
    return x;
  }

  /** Merge the sets of a and b; the smaller root wins. */
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.parent.byteLength;
  }
}
