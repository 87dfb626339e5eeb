/**
 * The piggyback queue and the retransmit budget.
 *
 * ## The budget
 * Every member that learns an update passes it on `R` times, each time to a
 * member picked at random among the `N − 1` others (gossip fanout, probe
 * piggybacks), and each send is lost with probability `p`. Once the update
 * is known everywhere but at one member `x`, the other `N − 1` members have
 * made `(N − 1)·R` sends, each reaching `x` with probability `q/(N − 1)`,
 * `q = 1 − p`, so
 *
 *     P(x missed) = (1 − q/(N − 1))^((N − 1)·R)  ≤  e^(−q·R)
 *
 * and, by the union bound over the `N − 1` possible `x`,
 *
 *     P(someone missed) ≤ (N − 1)·(1 − q/(N − 1))^((N − 1)·R).
 *
 * {@link retransmitBudget} returns the least `R` that makes this at most
 * `1 − target`. With `p = 0.2` and `target = 0.9999`: N = 2 → 6
 * (exactly `0.2^6 = 6.4e−5`, the origin's own sends are the only chance),
 * N = 9 → 14, N = 100 → 18, N = 1,000 → 21, N = 10,000 → 24: about
 * `1.25·ln N + 11.5`, i.e. `λ·log n` with a constant that matters at small N.
 * (memberlist's `4·⌈log10(N + 1)⌉` is only 4 at N = 9, which reaches
 * everyone about 88% of the time at 20% loss.) The bound ignores early die-out; a
 * Monte Carlo of the exact process (test/gossip/budget.test.ts) confirms the
 * miss rate stays below `1 − target` at small N, where die-out matters most.
 * @module
 */
import { estimateSize, type UpdateMsg } from '../codec/gossip.js';

/**
 * The least number of times each member must retransmit an update so that
 * it reaches all `n` members with probability ≥ `target` at loss `loss`,
 * without anti-entropy (see the module comment for the derivation).
 *
 * @example
 * ```ts
 * retransmitBudget(9, 0.2, 0.9999); // 14
 * ```
 */
export function retransmitBudget(n: number, loss: number, target: number): number {
  if (n < 2) return 1;
  const q = 1 - loss;
  const perSend = Math.log1p(-q / (n - 1)) * (n - 1); // ln of the miss factor per round of N-1 sends
  return Math.max(1, Math.ceil(Math.log((1 - target) / (n - 1)) / perSend));
}

interface Item {
  key: string;
  msg: UpdateMsg;
  size: number;
  transmits: number;
  /** The packet it was last put in: an item goes into one packet at most once. */
  packet: number;
}

/**
 * Updates waiting to be piggybacked, fewest transmissions first (so fresh
 * news travels before news everyone has heard), with at most one item per
 * key: a newer update about the same subject replaces the older one.
 */
export class BroadcastQueue {
  /** Buckets by transmit count; a Set keeps insertion order (oldest first: fair). */
  private readonly buckets: Set<Item>[] = [];
  /**
   * Item count per bucket, beside the Sets: a take looks here to skip empty
   * buckets, one small array instead of a Set object each (at 10,000
   * simulated members every Set touched is a cache miss).
   */
  private readonly counts: number[] = [];
  private readonly byKey = new Map<string, Item>();
  /** Packet numbers for callers that give none (negative, never equal to a caller's). */
  private anonymous = -1;

  /** Number of queued items. */
  get size(): number {
    return this.byKey.size;
  }

  /** Queue `msg` under `key`, replacing (and resetting) any item with that key. */
  push(key: string, msg: UpdateMsg): void {
    this.remove(key);
    const item: Item = { key, msg, size: estimateSize(msg), transmits: 0, packet: 0 };
    this.byKey.set(key, item);
    this.addTo(0, item);
  }

  /** Drop the item with `key`, if any. */
  remove(key: string): void {
    const it = this.byKey.get(key);
    if (it === undefined) return;
    this.byKey.delete(key);
    this.removeFrom(it.transmits, it);
  }

  /** Items not yet sent even once. */
  get fresh(): number {
    return this.counts[0] ?? 0;
  }

  /** Items sent fewer than `transmits` times so far. */
  countBelow(transmits: number): number {
    let n = 0;
    for (let b = 0; b < Math.min(transmits, this.counts.length); b++) n += this.counts[b]!;
    return n;
  }

  /** Whether an item with `key` is queued. */
  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /**
   * Take items fitting in `bytes` (each costing its size plus `overhead`),
   * counting one transmission each and retiring items that reached `limit`.
   * Items already taken for the same `packet` number are skipped.
   */
  take(bytes: number, overhead: number, limit: number, out: UpdateMsg[] = [], packet = --this.anonymous): UpdateMsg[] {
    if (this.byKey.size === 0) return out;
    const chosen: Item[] = [];
    let left = bytes;
    // Stop once every item was looked at: most of the buckets up to the limit are empty.
    let unseen = this.byKey.size;
    for (let b = 0; b < this.counts.length && left > 0 && unseen > 0; b++) {
      if (this.counts[b] === 0) continue;
      unseen -= this.counts[b]!;
      for (const it of this.buckets[b]!) {
        if (it.size + overhead > left || it.packet === packet) continue;
        left -= it.size + overhead;
        chosen.push(it);
        if (left < 16) break;
      }
    }
    for (const it of chosen) {
      out.push(it.msg);
      it.packet = packet;
      this.removeFrom(it.transmits, it);
      it.transmits++;
      if (it.transmits >= limit) this.byKey.delete(it.key);
      else this.addTo(it.transmits, it);
    }
    return out;
  }

  private addTo(b: number, it: Item): void {
    while (this.buckets.length <= b) {
      this.buckets.push(new Set());
      this.counts.push(0);
    }
    this.buckets[b]!.add(it);
    this.counts[b]!++;
  }

  private removeFrom(b: number, it: Item): void {
    if (this.buckets[b]?.delete(it) === true) this.counts[b]!--;
  }
}
