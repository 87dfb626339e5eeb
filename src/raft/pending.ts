/**
 * Bookkeeping of a node's outstanding proposals and reads, so every promise
 * settles: with a result when its entry applies, or with a typed error when
 * it cannot (dropped, leadership lost, timed out, stopped).
 */
import { TimeoutError } from '../errors.js';
import type { Entry } from './core/types.js';

/** A promise's settle functions plus its deadline. */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
  readonly deadline: number;
}

/** Outstanding proposals: by log position (proposed here as leader) or by sequence (forwarded). */
export class PendingProposals<R> {
  private readonly byIndex = new Map<number, { term: number; w: Waiter<R> }>();
  private readonly bySeq = new Map<number, Waiter<R>>();

  get size(): number {
    return this.byIndex.size + this.bySeq.size;
  }

  addAt(index: number, term: number, w: Waiter<R>): void {
    this.byIndex.set(index, { term, w });
  }

  addForwarded(seq: number, w: Waiter<R>): void {
    this.bySeq.set(seq, w);
  }

  /**
   * Settle what an applied entry decides: the proposal made here at its
   * index (resolved if the entry is that proposal, rejected as dropped if
   * another entry won the index), and a forwarded proposal whose (origin,
   * seq) the entry carries. Both can happen for one entry.
   */
  settle(entry: Entry, origin: string, result: R, dropped: () => Error): void {
    const at = this.byIndex.get(entry.index);
    if (at !== undefined) {
      this.byIndex.delete(entry.index);
      if (at.term === entry.term) at.w.resolve(result);
      else at.w.reject(dropped());
    }
    if (entry.origin === origin && entry.seq !== undefined) {
      const w = this.bySeq.get(entry.seq);
      if (w !== undefined) {
        this.bySeq.delete(entry.seq);
        w.resolve(result);
      }
    }
  }

  /** Fail proposals above `commit` (their fate is unknown once leadership is lost). */
  failAbove(commit: number, err: () => Error): void {
    for (const [index, { w }] of this.byIndex) {
      if (index > commit) {
        this.byIndex.delete(index);
        w.reject(err());
      }
    }
  }

  /** Fail every forwarded proposal. */
  failForwarded(err: () => Error): void {
    for (const w of this.bySeq.values()) w.reject(err());
    this.bySeq.clear();
  }

  /** Fail everything. */
  failAll(err: () => Error): void {
    for (const { w } of this.byIndex.values()) w.reject(err());
    this.byIndex.clear();
    this.failForwarded(err);
  }

  /** Time out everything past its deadline (insertion order is deadline order). */
  expire(now: number): void {
    expireMap(this.byIndex, now, (v) => v.w);
    expireMap(this.bySeq, now, (v) => v);
  }
}

function expireMap<K, V>(m: Map<K, V>, now: number, waiter: (v: V) => Waiter<unknown>): void {
  for (const [k, v] of m) {
    const w = waiter(v);
    if (w.deadline > now) return;
    m.delete(k);
    w.reject(new TimeoutError('The proposal did not apply in time; it may still be applied'));
  }
}

/** Outstanding linearizable reads: waiting for a read index, then for the apply index to reach it. */
export class PendingReads {
  private readonly awaitingIndex = new Map<number, Waiter<void>>();
  private awaitingApply: { index: number; w: Waiter<void> }[] = [];

  get size(): number {
    return this.awaitingIndex.size + this.awaitingApply.length;
  }

  add(ctx: number, w: Waiter<void>): void {
    this.awaitingIndex.set(ctx, w);
  }

  /** Contexts still waiting for a read index (to re-issue after a leader change). */
  unresolved(): number[] {
    return [...this.awaitingIndex.keys()];
  }

  /** The read index for `ctx` is known; it completes once `applied` reaches it. */
  indexKnown(ctx: number, index: number, applied: number): void {
    const w = this.awaitingIndex.get(ctx);
    if (w === undefined) return;
    this.awaitingIndex.delete(ctx);
    if (index <= applied) w.resolve();
    else this.awaitingApply.push({ index, w });
  }

  /** Complete reads whose index is now applied. */
  applied(applied: number): void {
    if (this.awaitingApply.length === 0) return;
    const still: { index: number; w: Waiter<void> }[] = [];
    for (const r of this.awaitingApply) {
      if (r.index <= applied) r.w.resolve();
      else still.push(r);
    }
    this.awaitingApply = still;
  }

  /** Fail one read. */
  fail(ctx: number, err: Error): void {
    const w = this.awaitingIndex.get(ctx);
    if (w === undefined) return;
    this.awaitingIndex.delete(ctx);
    w.reject(err);
  }

  failAll(err: () => Error): void {
    for (const w of this.awaitingIndex.values()) w.reject(err());
    this.awaitingIndex.clear();
    for (const r of this.awaitingApply) r.w.reject(err());
    this.awaitingApply = [];
  }

  expire(now: number): void {
    const timeout = () => new TimeoutError('The read did not complete in time', { definite: true });
    for (const [ctx, w] of this.awaitingIndex) {
      if (w.deadline > now) break;
      this.awaitingIndex.delete(ctx);
      w.reject(timeout());
    }
    const still: { index: number; w: Waiter<void> }[] = [];
    for (const r of this.awaitingApply) {
      if (r.w.deadline <= now) r.w.reject(timeout());
      else still.push(r);
    }
    this.awaitingApply = still;
  }
}
