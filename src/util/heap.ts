/** An item of a {@link TimeHeap}: due at `at`, ties broken by `seq`. */
export interface Timed {
  /** When the item is due. */
  at: number;
  /** Order among items due at the same time (lower first); callers give distinct values. */
  seq: number;
}

/**
 * A binary min-heap of {@link Timed} items, earliest `at` first and, at
 * equal times, lowest `seq` first. The order is total when every `seq` is
 * distinct, so the pop sequence does not depend on the heap's layout: a
 * seeded simulation replays exactly. The comparison is written inline and
 * items move by a hole rather than by swaps: this heap is the simulator's
 * hottest structure (one push and one pop per simulated packet).
 */
export class TimeHeap<T extends Timed> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    let i = a.length;
    a.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const up = a[p]!;
      if (up.at < item.at || (up.at === item.at && up.seq < item.seq)) break;
      a[i] = up;
      i = p;
    }
    a[i] = item;
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) this.placeFromTop(last);
    return top;
  }

  /** Put `item` at the root's hole and sift it down to its place. */
  private placeFromTop(item: T): void {
    const a = this.items;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      let child = a[l]!;
      if (l + 1 < n) {
        const r = a[l + 1]!;
        if (r.at < child.at || (r.at === child.at && r.seq < child.seq)) {
          c = l + 1;
          child = r;
        }
      }
      if (item.at < child.at || (item.at === child.at && item.seq < child.seq)) break;
      a[i] = child;
      i = c;
    }
    a[i] = item;
  }
}
