/**
 * A growable list of 32-bit integers in a typed array. Member lists of a
 * 10,000-member simulation hold 10⁸ entries in all; as plain arrays the
 * garbage collector would walk every one of them at each major collection.
 * @internal
 * @module
 */
export class IntList {
  private data: Int32Array;
  private n = 0;

  constructor(capacity = 16) {
    this.data = new Int32Array(Math.max(4, capacity));
  }

  /** Number of items. */
  get length(): number {
    return this.n;
  }

  /** Item `i` (unchecked: `i` must be below `length`). */
  get(i: number): number {
    return this.data[i]!;
  }

  /** Overwrite item `i`. */
  set(i: number, v: number): void {
    this.data[i] = v;
  }

  /** Append `v`. */
  push(v: number): void {
    if (this.n === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = v;
  }

  /** Remove the first occurrence of `v` (order of the rest kept). */
  remove(v: number): void {
    const at = this.data.subarray(0, this.n).indexOf(v);
    if (at < 0) return;
    this.data.copyWithin(at, at + 1, this.n);
    this.n--;
  }

  /** Replace the items with a copy of `src`'s (with an eighth of room to grow). */
  copyFrom(src: IntList): void {
    this.data = new Int32Array(Math.max(4, src.n + (src.n >> 3)));
    this.data.set(src.data.subarray(0, src.n));
    this.n = src.n;
  }

  /** The items passing `ok`, in a new list or written over `out` (reusing its buffer). */
  filter(ok: (v: number) => boolean, out: IntList = new IntList(this.n)): IntList {
    out.n = 0;
    if (out.data.length < this.n) out.data = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) if (ok(this.data[i]!)) out.push(this.data[i]!);
    return out;
  }

  /** The items as a plain array. */
  toArray(): number[] {
    return Array.from(this.data.subarray(0, this.n));
  }
}
