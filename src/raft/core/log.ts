/**
 * The replicated log as one node sees it: the latest snapshot point, an
 * in-memory window of entries (which may start before the snapshot point,
 * keeping a trailing log for slow followers), the part known durable
 * (`stable`), the commit index and what was handed out to apply. The core
 * never reads storage: the driver loads the log into it at start.
 */
import type { Entry } from './types.js';

export class RaftLog {
  /** Entries with indexes `first …`. */
  private entries: Entry[] = [];
  /** Index of `entries[0]` (snapIndex + 1 when empty). */
  private first: number;
  /** Index and term of the last entry covered by the latest snapshot (0 if none). */
  private snapIndex: number;
  private snapTerm: number;
  /** Highest index known durable on this node's storage. */
  stable: number;
  /** Highest index handed to the driver to persist (≥ `stable`; the rest is in flight). */
  persisting: number;
  /** Highest index known committed. */
  committed: number;
  /** Highest index whose apply the driver acknowledged. */
  applied: number;
  /** Highest index handed to the driver to apply (≥ `applied`). */
  applying: number;
  /** How many times a suffix of the log was replaced. */
  truncations = 0;

  constructor(snapshotIndex = 0, snapshotTerm = 0, entries: readonly Entry[] = [], committed = 0) {
    this.snapIndex = snapshotIndex;
    this.snapTerm = snapshotTerm;
    this.first = snapshotIndex + 1;
    this.entries = sanitize(snapshotIndex, snapshotTerm, entries);
    if (this.entries.length > 0) this.first = this.entries[0]!.index;
    this.stable = this.lastIndex();
    this.persisting = this.stable;
    this.committed = Math.max(snapshotIndex, Math.min(committed, this.lastIndex()));
    this.applied = snapshotIndex;
    this.applying = snapshotIndex;
  }

  /** Index of the first entry held in memory. */
  firstIndex(): number {
    return this.first;
  }

  lastIndex(): number {
    return this.entries.length > 0 ? this.first + this.entries.length - 1 : this.snapIndex;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Index and term of the latest snapshot. */
  snapshotPoint(): { index: number; term: number } {
    return { index: this.snapIndex, term: this.snapTerm };
  }

  /** Term of the entry at `i`; undefined if compacted away or past the end. */
  term(i: number): number | undefined {
    if (i >= this.first && i <= this.lastIndex()) return this.entries[i - this.first]!.term;
    if (i === this.snapIndex) return this.snapTerm;
    return undefined;
  }

  /** The entry at `i`, if held. */
  entry(i: number): Entry | undefined {
    return i >= this.first ? this.entries[i - this.first] : undefined;
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
   * Below what the log holds, everything is committed and so agrees: the
   * answer is the highest such point not above `index`, with term 0 if unknown.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i >= this.first; i--) {
      const t = this.entries[i - this.first]!.term;
      if (t <= term) return { index: i, term: t };
    }
    const floor = Math.min(i, this.snapIndex);
    return { index: floor, term: floor === this.snapIndex ? this.snapTerm : 0 };
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
      if (e.index <= this.snapIndex && e.index < this.first) continue;
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /** Append entries, dropping any held entries from `entries[0].index` on. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const at = entries[0]!.index;
    if (at <= this.committed) throw new Error(`Raft invariant: truncating committed entry ${at}`);
    if (at > this.lastIndex() + 1) throw new Error(`Raft invariant: gap appending ${at} after ${this.lastIndex()}`);
    if (at <= this.lastIndex()) {
      this.truncations++;
      this.entries.length = at - this.first;
      // What was durable (or being written) beyond the cut is gone from the log's point of view.
      if (this.stable >= at) this.stable = at - 1;
      if (this.persisting >= at) this.persisting = at - 1;
    }
    if (this.entries.length === 0) this.first = at;
    for (const e of entries) this.entries.push(e);
  }

  /** Entries in [lo, hi), at most `maxBytes` of data (always at least one). Empty if `lo` is compacted. */
  slice(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    const start = Math.max(lo, this.first) - this.first;
    const end = Math.min(hi, this.lastIndex() + 1) - this.first;
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

  /** Entries not yet known durable (some may be in flight). */
  unstableEntries(): Entry[] {
    return this.slice(this.stable + 1, this.lastIndex() + 1);
  }

  /** Entries not yet handed to the driver to persist; they count as being written from now on. */
  takeUnpersisted(): Entry[] {
    const es = this.slice(this.persisting + 1, this.lastIndex() + 1);
    this.persisting = this.lastIndex();
    return es;
  }

  /** Whether some entries were never handed out to persist. */
  hasUnpersisted(): boolean {
    return this.persisting < this.lastIndex();
  }

  /**
   * Storage confirmed entries up to (index, term) durable. The term check
   * makes a late acknowledgement of entries since replaced in memory (a
   * truncation while their write was in flight) count for nothing.
   */
  stableTo(index: number, term: number): void {
    if (index > this.stable && this.matchTerm(index, term)) this.stable = index;
    if (this.persisting < this.stable) this.persisting = this.stable;
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      if (index > this.lastIndex()) throw new Error(`Raft invariant: commit ${index} past last index ${this.lastIndex()}`);
      this.committed = index;
    }
  }

  /** The highest index that may be handed out to apply: committed, and durable here if `durableOnly`. */
  private applyLimit(durableOnly: boolean): number {
    return durableOnly ? Math.min(this.committed, this.stable) : this.committed;
  }

  /** Whether there are committed entries not handed out yet. */
  hasNextCommitted(durableOnly = false): boolean {
    return this.applyLimit(durableOnly) > this.applying;
  }

  /** Committed entries not yet handed out; they count as being applied from now on. */
  takeCommitted(durableOnly = false): Entry[] {
    const limit = this.applyLimit(durableOnly);
    const es = this.slice(this.applying + 1, limit + 1);
    if (limit > this.applying) this.applying = limit;
    return es;
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
    if (index > this.applying) this.applying = index;
  }

  /** A snapshot at (index, term) now covers the log up to `index`. Entries are kept (see `compact`). */
  setSnapshotPoint(index: number, term: number): void {
    if (index <= this.snapIndex) return;
    this.snapIndex = index;
    this.snapTerm = term;
  }

  /** Drop entries ≤ `upTo` (never past the snapshot point) from memory. */
  compact(upTo: number): void {
    const limit = Math.min(upTo, this.snapIndex, this.lastIndex());
    if (limit < this.first) return;
    this.entries.splice(0, limit - this.first + 1);
    this.first = limit + 1;
  }

  /**
   * Install a snapshot received from the leader: if our log holds the
   * snapshot's last entry, keep what follows; otherwise it conflicts, and
   * the whole log goes (§7). Commit and applied move to the snapshot.
   */
  restore(index: number, term: number): void {
    if (this.matchTerm(index, term) && index <= this.lastIndex()) {
      this.compact(index - 1);
      this.stable = Math.max(this.stable, index);
      this.persisting = Math.max(this.persisting, this.stable);
    } else {
      this.entries = [];
      this.first = index + 1;
      // Nothing past the snapshot is held any more, durable or not.
      this.stable = index;
      this.persisting = index;
    }
    this.snapIndex = index;
    this.snapTerm = term;
    if (this.first > index + 1) this.first = index + 1;
    this.committed = Math.max(this.committed, index);
    this.applied = Math.max(this.applied, index);
    this.applying = Math.max(this.applying, this.applied);
  }
}

/**
 * Keep only loaded entries that fit the snapshot: contiguous, reaching the
 * snapshot point, and agreeing with its term. A crash between saving a
 * snapshot and trimming the log can leave entries that do not.
 */
function sanitize(snapIndex: number, snapTerm: number, entries: readonly Entry[]): Entry[] {
  if (entries.length === 0) return [];
  for (let i = 1; i < entries.length; i++) if (entries[i]!.index !== entries[i - 1]!.index + 1) return [];
  const first = entries[0]!.index;
  const last = entries[entries.length - 1]!.index;
  if (snapIndex === 0) return first === 1 ? [...entries] : [];
  if (first > snapIndex + 1 || last < snapIndex) return [];
  if (first <= snapIndex && entries[snapIndex - first]!.term !== snapTerm) return [];
  return [...entries];
}
