/**
 * The replicated log as one node sees it: an in-memory window of entries
 * after the last snapshot, the part of it known durable (`stable`), the
 * commit index and what was handed out to apply. The core never reads
 * storage: the driver loads the log into it at start.
 */
import type { Entry } from './types.js';

export class RaftLog {
  /** Entries with indexes `offset + 1 …`. */
  private entries: Entry[] = [];
  /** Index of the last entry covered by the snapshot (0: none). */
  private offset: number;
  private offsetTerm: number;
  /** Highest index known durable on this node's storage. */
  stable: number;
  /** Highest index known committed. */
  committed: number;
  /** Highest index handed to the driver to apply. */
  applied: number;
  /** How many times a suffix of the log was replaced. */
  truncations = 0;

  constructor(snapshotIndex = 0, snapshotTerm = 0, entries: readonly Entry[] = [], committed = 0) {
    this.offset = snapshotIndex;
    this.offsetTerm = snapshotTerm;
    this.entries = [...entries];
    this.stable = this.lastIndex();
    this.committed = Math.max(snapshotIndex, Math.min(committed, this.lastIndex()));
    this.applied = snapshotIndex;
  }

  /** Index of the first entry held (snapshot index + 1). */
  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Index and term covered by the snapshot at the log's start. */
  snapshotPoint(): { index: number; term: number } {
    return { index: this.offset, term: this.offsetTerm };
  }

  /** Term of the entry at `i`; undefined if compacted away or past the end. */
  term(i: number): number | undefined {
    if (i === this.offset) return this.offsetTerm;
    if (i < this.offset || i > this.lastIndex()) return undefined;
    return this.entries[i - this.offset - 1]!.term;
  }

  /** The entry at `i`, if held. */
  entry(i: number): Entry | undefined {
    if (i <= this.offset) return undefined;
    return this.entries[i - this.offset - 1];
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The largest index ≤ `index` whose term is ≤ `term`, with its term. Used
   * both to build a rejection hint and to jump over a whole conflicting term.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i > this.offset; i--) {
      const t = this.term(i)!;
      if (t <= term) return { index: i, term: t };
    }
    return { index: this.offset, term: this.offsetTerm };
  }

  /**
   * §5.3: accept `entries` after (prevIndex, prevTerm) if the logs match
   * there. Returns the last index now known to match the leader, or null.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: readonly Entry[]): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + entries.length;
    const from = this.findConflict(entries);
    if (from > 0) {
      if (from <= this.committed) throw new Error(`Raft invariant: conflict at ${from} is at or below commit ${this.committed}`);
      this.append(entries.slice(from - entries[0]!.index));
    }
    return lastNew;
  }

  /** Index of the first of `entries` that is new or differs in term from ours; 0 if none. */
  private findConflict(entries: readonly Entry[]): number {
    for (const e of entries) {
      if (e.index <= this.offset) continue;
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /** Append entries, dropping any held entries from `entries[0].index` on. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    if (first <= this.committed) throw new Error(`Raft invariant: truncating committed entry ${first}`);
    if (first > this.lastIndex() + 1) throw new Error(`Raft invariant: gap appending ${first} after ${this.lastIndex()}`);
    if (first <= this.lastIndex()) {
      this.truncations++;
      this.entries.length = first - this.offset - 1;
      // What was durable beyond the cut is gone from the log's point of view.
      if (this.stable >= first) this.stable = first - 1;
    }
    for (const e of entries) this.entries.push(e);
  }

  /** Entries in [lo, hi), at most `maxBytes` of data (always at least one). */
  slice(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    const start = Math.max(lo, this.offset + 1) - this.offset - 1;
    const end = Math.min(hi, this.lastIndex() + 1) - this.offset - 1;
    if (end <= start) return [];
    if (maxBytes === Number.POSITIVE_INFINITY) return this.entries.slice(start, end);
    let size = 0;
    let j = start;
    for (; j < end; j++) {
      size += this.entries[j]!.data.byteLength;
      if (size > maxBytes && j > start) break;
    }
    return this.entries.slice(start, j);
  }

  /** Entries not yet known durable. */
  unstableEntries(): Entry[] {
    return this.slice(this.stable + 1, this.lastIndex() + 1);
  }

  /** Storage confirmed entries up to (index, term) durable. */
  stableTo(index: number, term: number): void {
    if (index > this.stable && this.matchTerm(index, term)) this.stable = index;
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      if (index > this.lastIndex()) throw new Error(`Raft invariant: commit ${index} past last index ${this.lastIndex()}`);
      this.committed = index;
    }
  }

  /** Whether there are committed entries not handed out yet. */
  hasNextCommitted(): boolean {
    return this.committed > this.applied;
  }

  /** Committed entries not yet handed out. */
  nextCommitted(): Entry[] {
    return this.slice(this.applied + 1, this.committed + 1);
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
  }
}
