/**
 * The search for one partition: Wing & Gong's backtracking over a linked list
 * of call/return entries, with Lowe's memoization of (set of linearized
 * operations, model state) so an already-explored configuration is never
 * explored again. The same idea as porcupine and Knossos' "linear" checker.
 * @module
 */
import { createPrng } from '../../util/prng.js';
import type { HistoryOp, Model } from './types.js';

/** What {@link searchPartition} found. */
export interface SearchOutcome {
  result: 'ok' | 'illegal' | 'unknown';
  steps: number;
  /** Indices (into the ops given) of the longest linearized sequence seen. */
  longestPrefix: number[];
}

const HEAD = 0;

/**
 * The entry list: entry `1 + 2i` is the call of op i, `2 + 2i` its return.
 * Slot 0 is the head sentinel; `-1` ends the list.
 */
interface EntryList {
  next: Int32Array;
  prev: Int32Array;
}

function buildList(ops: readonly HistoryOp[]): EntryList {
  const n = ops.length;
  const order: number[] = [];
  for (let e = 1; e <= 2 * n; e++) order.push(e);
  const time = (e: number): number => {
    const op = ops[(e - 1) >> 1]!;
    if (isCall(e)) return op.call;
    return op.outcome === 'info' ? Number.POSITIVE_INFINITY : op.return!;
  };
  // Calls before returns at equal times: equal times are treated as concurrent.
  order.sort((a, b) => time(a) - time(b) || Number(isCall(b)) - Number(isCall(a)) || a - b);
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = HEAD;
  for (const e of order) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  return { next, prev };
}

function isCall(e: number): boolean {
  return (e & 1) === 1;
}

function unlink(l: EntryList, e: number): void {
  const p = l.prev[e]!;
  const n = l.next[e]!;
  l.next[p] = n;
  if (n !== -1) l.prev[n] = p;
}

function relink(l: EntryList, e: number): void {
  const p = l.prev[e]!;
  const n = l.next[e]!;
  l.next[p] = e;
  if (n !== -1) l.prev[n] = e;
}

/** A set of (linearized-ops bitset, state) pairs, bucketed by a Zobrist hash of the bitset and the state hash. */
class Memo<S> {
  private readonly buckets = new Map<string, { bits: Uint32Array; state: S }[]>();
  constructor(private readonly model: Model<S, never>) {}

  /** Add the pair; false if an equal pair was already present. */
  add(zobrist: number, bits: Uint32Array, state: S): boolean {
    const key = `${zobrist}|${this.model.hash(state)}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(key, bucket);
    }
    for (const c of bucket) {
      if (sameBits(c.bits, bits) && this.model.equal(c.state, state)) return false;
    }
    bucket.push({ bits: bits.slice(), state });
    return true;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Frame<S> {
  entry: number;
  state: S;
}

/**
 * Search one partition for a linearization. `ops` must contain no `fail`
 * operations; `info` ones may be linearized anywhere after their call, or not at all.
 */
export function searchPartition<S, Op extends HistoryOp>(ops: readonly Op[], model: Model<S, Op>, maxSteps: number): SearchOutcome {
  const s = new Searcher(ops, model);
  return s.run(maxSteps);
}

class Searcher<S, Op extends HistoryOp> {
  private readonly list: EntryList;
  private readonly bits: Uint32Array;
  private readonly zob: Int32Array;
  private readonly memo: Memo<S>;
  private readonly stack: Frame<S>[] = [];
  private zobrist = 0;
  private state: S;
  private remainingOk = 0;
  private longest: number[] = [];

  constructor(private readonly ops: readonly Op[], private readonly model: Model<S, Op>) {
    this.list = buildList(ops);
    this.bits = new Uint32Array((ops.length + 31) >>> 5);
    this.memo = new Memo<S>(model as Model<S, never>);
    // Zobrist keys: the bitset's hash is the XOR of its members' keys, updated in O(1).
    const rng = createPrng(0x11ea7);
    this.zob = Int32Array.from(ops, () => rng.int(0x100000000) | 0);
    this.state = model.init();
    for (const op of ops) if (op.outcome === 'ok') this.remainingOk++;
  }

  run(maxSteps: number): SearchOutcome {
    const { next } = this.list;
    let cur = next[HEAD]!;
    let steps = 0;
    while (this.remainingOk > 0) {
      if (steps >= maxSteps) return this.outcome('unknown', steps);
      steps++;
      if (cur !== -1 && isCall(cur)) {
        cur = this.tryLinearize(cur) ? next[HEAD]! : next[cur]!;
        continue;
      }
      // A return entry (every entry before `cur` is a call): its op must be
      // linearized before anything later, so this branch is dead.
      const top = this.stack.pop();
      if (top === undefined) return this.outcome('illegal', steps);
      this.undo(top);
      cur = next[top.entry]!;
    }
    return this.outcome('ok', steps);
  }

  /** Linearize the op of call entry `e` now, if legal and not explored before. */
  private tryLinearize(e: number): boolean {
    const i = (e - 1) >> 1;
    const op = this.ops[i]!;
    const r = this.model.step(this.state, op);
    if (!r.legal) return false;
    this.toggle(i);
    if (!this.memo.add(this.zobrist, this.bits, r.nextState)) {
      this.toggle(i);
      return false;
    }
    this.stack.push({ entry: e, state: this.state });
    this.state = r.nextState;
    unlink(this.list, e);
    unlink(this.list, e + 1);
    if (op.outcome === 'ok') this.remainingOk--;
    if (this.stack.length > this.longest.length) this.longest = this.stack.map((f) => (f.entry - 1) >> 1);
    return true;
  }

  private undo(top: Frame<S>): void {
    const i = (top.entry - 1) >> 1;
    // Relink in reverse order of unlinking (dancing links).
    relink(this.list, top.entry + 1);
    relink(this.list, top.entry);
    this.state = top.state;
    this.toggle(i);
    if (this.ops[i]!.outcome === 'ok') this.remainingOk++;
  }

  private toggle(i: number): void {
    this.bits[i >>> 5]! ^= 1 << (i & 31);
    this.zobrist ^= this.zob[i]!;
  }

  private outcome(result: SearchOutcome['result'], steps: number): SearchOutcome {
    return { result, steps, longestPrefix: this.longest };
  }
}
