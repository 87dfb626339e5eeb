/**
 * The probe ring: the live members (this one included) sorted by the hash
 * of their id, the same order at every member that has the same view.
 *
 * Why: when every member shuffles its own probe order, the probes a given
 * member receives arrive like a Poisson stream of about one a period, so
 * one member in twenty goes unprobed for 3 s and one in a hundred for
 * 4.6 s. That tail decided both the time to first suspect a crash (seconds
 * with nobody probing it) and the time for a join to reach its last member
 * (at the end, news travels only on probe traffic). On a shared ring, in
 * protocol period `r` the member at position `p` probes position
 * `p + 1 + (r mod (M − 1))`: each period every member is probed by exactly
 * one other (a Latin square), and over `M − 1` periods each member still
 * probes every other once, as SWIM's round-robin does. Members agree on `r`
 * when their clocks agree on the period (the simulator; nodes given a
 * wall-clock time base); members whose clocks or views differ simply probe
 * in their own cyclic order, as uncorrelated as shuffled orders are.
 * @internal
 * @module
 */
import type { IdInterner } from './members.js';

/** Live members sorted by id hash, updated in place as members come and go. */
export class ProbeRing {
  private data = new Int32Array(16);
  private n = 0;

  constructor(private readonly ids: IdInterner) {}

  /** Number of members on the ring. */
  get length(): number {
    return this.n;
  }

  /** The member at ring position `k` (unchecked: `k` must be below `length`). */
  get(k: number): number {
    return this.data[k]!;
  }

  /** Put member `i` in its place (no-op if already there). O(log M) to find, one memory move to insert. */
  add(i: number): void {
    const at = this.lowerBound(i);
    if (at < this.n && this.data[at] === i) return;
    if (this.n === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data.copyWithin(at + 1, at, this.n);
    this.data[at] = i;
    this.n++;
  }

  /** Take member `i` off the ring (no-op if absent). */
  remove(i: number): void {
    const at = this.indexOf(i);
    if (at < 0) return;
    this.data.copyWithin(at, at + 1, this.n);
    this.n--;
  }

  /** Ring position of member `i`, or -1. */
  indexOf(i: number): number {
    const at = this.lowerBound(i);
    return at < this.n && this.data[at] === i ? at : -1;
  }

  /** Make this ring a copy of `src` (same interner). */
  copyFrom(src: ProbeRing): void {
    if (this.data.length < src.n) this.data = new Int32Array(src.n + (src.n >> 3));
    this.data.set(src.data.subarray(0, src.n));
    this.n = src.n;
  }

  /**
   * The member that `self` probes in protocol period `period`: the one
   * `1 + (period mod (M − 1))` places after it. Undefined when alone or
   * not on the ring.
   */
  targetOf(self: number, period: number): number | undefined {
    const m = this.n;
    const pos = this.indexOf(self);
    if (m < 2 || pos < 0) return undefined;
    const shift = 1 + (((period % (m - 1)) + (m - 1)) % (m - 1));
    return this.data[(pos + shift) % m];
  }

  /** First position whose member sorts at or after `i`. */
  private lowerBound(i: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.before(this.data[mid]!, i)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Ring order: by id hash, ties (rare) by id, so every process sorts alike. */
  private before(a: number, b: number): boolean {
    if (a === b) return false;
    const ha = this.ids.hashOf(a);
    const hb = this.ids.hashOf(b);
    if (ha !== hb) return ha < hb;
    return this.ids.idOf(a) < this.ids.idOf(b);
  }
}
