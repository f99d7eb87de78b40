/** Keeps the k items with the largest keys seen in a stream: a binary min-heap of size k. */
export class TopK<T> {
  private readonly keys: number[] = [];
  private readonly items: T[] = [];

  constructor(private readonly k: number) {}

  offer(key: number, item: T): void {
    if (this.k === 0) return;
    if (this.keys.length < this.k) {
      this.keys.push(key);
      this.items.push(item);
      this.up(this.keys.length - 1);
    } else if (key > this.keys[0]!) {
      this.keys[0] = key;
      this.items[0] = item;
      this.down(0);
    }
  }

  /** Kept entries, in no particular order. */
  entries(): [number, T][] {
    return this.keys.map((k, i) => [k, this.items[i]!]);
  }

  private swap(i: number, j: number): void {
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
    [this.items[i], this.items[j]] = [this.items[j]!, this.items[i]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.keys[p]! <= this.keys[i]!) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.keys[l]! < this.keys[m]!) m = l;
      if (r < n && this.keys[r]! < this.keys[m]!) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
