/**
 * Raft safety invariants checked while a simulation runs: Election Safety,
 * one vote per (node, term) and a cast vote kept for its term, terms never decrease, Log Matching (by rolling
 * hash), Leader Completeness, State Machine Safety, commit monotonic and
 * applied ≤ commit ≤ last. Each check records a human-readable violation.
 * @module
 */
import type { Entry, NodeId } from '../../raft/core/types.js';

/** One broken invariant. */
export interface Violation {
  /** Which invariant: `election-safety`, `log-matching`, `linearizability`, `scenario:<name>`, … */
  readonly invariant: string;
  /** What was seen, naming the nodes and indexes involved. */
  readonly detail: string;
  /** Virtual time it was detected, ms. */
  readonly time: number;
}

function mix(h: number, x: number): number {
  h ^= x;
  h = Math.imul(h, 0x01000193);
  return h >>> 0;
}

/** Hash of one entry's identity: term, type and data bytes. */
export function entryHash(e: Entry): number {
  let h = mix(0x811c9dc5, e.term);
  h = mix(h, e.type);
  const d = e.data;
  for (let i = 0; i < d.length; i++) h = mix(h, d[i]!);
  return h;
}

/** A node's log as the checker mirrors it: term and rolling prefix hash per index. */
class MirrorLog {
  terms: number[] = [0];
  hashes: number[] = [0];

  lastIndex(): number {
    return this.terms.length - 1;
  }

  /** Apply entries written from `entries[0].index` on (truncating the rest). Returns the first changed index. */
  write(entries: readonly Entry[]): number {
    const first = entries[0]!.index;
    this.terms.length = Math.min(this.terms.length, first);
    this.hashes.length = Math.min(this.hashes.length, first);
    for (const e of entries) {
      if (e.index !== this.terms.length) return first; // a gap: caller's bug, leave the mirror as is
      this.terms.push(e.term);
      this.hashes.push(mix(this.hashes[e.index - 1]!, entryHash(e)));
    }
    return first;
  }
}

/** Accumulates observations from every node and reports violations. */
export class InvariantChecker {
  /** Violations found; the checker's own checks record at most 100, the simulator and clients add theirs. */
  readonly violations: Violation[] = [];
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly votes = new Map<string, NodeId>();
  private readonly durableTerm = new Map<NodeId, number>();
  /** The last durable (term, vote) per node: a vote, once cast, stays for its term. */
  private readonly durableVote = new Map<NodeId, { term: number; vote: NodeId | null }>();
  private readonly logs = new Map<NodeId, MirrorLog>();
  private readonly commit = new Map<NodeId, number>();
  /** Committed index → (term, prefix hash) as first seen committed. */
  private readonly committed: { term: number; hash: number }[] = [{ term: 0, hash: 0 }];
  /** Applied index → entry hash, as first applied anywhere. */
  private readonly applied: number[] = [0];
  private readonly appliedUpTo = new Map<NodeId, number>();
  private readonly stateHashes = new Map<number, number>();
  /** Virtual time stamped on the violations the checker records, ms; the simulator sets it before each observation. */
  now = 0;

  private fail(invariant: string, detail: string): void {
    if (this.violations.length < 100) this.violations.push({ invariant, detail, time: this.now });
  }

  private log(id: NodeId): MirrorLog {
    let l = this.logs.get(id);
    if (l === undefined) this.logs.set(id, (l = new MirrorLog()));
    return l;
  }

  /**
   * A node restarted: its volatile state (commit, applied) starts again from
   * what it recovers — a snapshot at `snapIndex` (0: none) and log entries.
   */
  restarted(id: NodeId, entries: readonly Entry[], snapIndex = 0): void {
    const l = this.mirrorUpTo(snapIndex);
    const usable = entries.filter((e) => e.index > snapIndex);
    if (usable.length > 0 && usable[0]!.index === l.lastIndex() + 1) l.write(usable);
    this.logs.set(id, l);
    this.commit.set(id, snapIndex);
    this.appliedUpTo.set(id, snapIndex);
  }

  /**
   * A node's disk was replaced by an empty one: it may start again from term
   * 0 (its durable term baseline is reset), but the votes it cast stay
   * recorded, so voting again differently in an old term is still caught.
   */
  wiped(id: NodeId): void {
    this.durableTerm.delete(id);
    this.durableVote.delete(id);
  }

  /** A mirror holding the committed prefix up to `index` (what a snapshot at `index` stands for). */
  private mirrorUpTo(index: number): MirrorLog {
    const l = new MirrorLog();
    for (let i = 1; i <= index && i < this.committed.length; i++) {
      l.terms.push(this.committed[i]!.term);
      l.hashes.push(this.committed[i]!.hash);
    }
    if (l.lastIndex() < index) this.fail('snapshot-beyond-commit', `a snapshot at ${index} covers uncommitted entries (committed ${this.committedIndex})`);
    return l;
  }

  /** A node installed a snapshot at `index` whose state hash is `stateHash`; its log now starts after it. */
  snapshotInstalled(id: NodeId, index: number, stateHash: number, keptLog: boolean): void {
    if (!keptLog) this.logs.set(id, this.mirrorUpTo(index));
    if ((this.commit.get(id) ?? 0) < index) this.commit.set(id, index);
    this.appliedUpTo.set(id, index);
    this.stateHash(id, index, stateHash);
  }

  /** Replica state hashes must be equal at equal applied index. */
  stateHash(id: NodeId, index: number, hash: number): void {
    const known = this.stateHashes.get(index);
    if (known === undefined) this.stateHashes.set(index, hash);
    else if (known !== hash) this.fail('replica-state', `${id} has a different state at applied index ${index}`);
  }

  /** Election Safety: at most one leader per term. */
  leader(id: NodeId, term: number): void {
    const prev = this.leaderOfTerm.get(term);
    if (prev !== undefined && prev !== id) this.fail('election-safety', `term ${term} has leaders ${prev} and ${id}`);
    if (prev === undefined) {
      this.leaderOfTerm.set(term, id);
      this.checkLeaderCompleteness(id, term);
    }
  }

  /** Leader Completeness: a new leader's log holds every entry committed so far. */
  private checkLeaderCompleteness(id: NodeId, term: number): void {
    const l = this.log(id);
    const top = this.committed.length - 1;
    if (top === 0) return;
    if (l.lastIndex() < top || l.hashes[top] !== this.committed[top]!.hash) {
      this.fail('leader-completeness', `leader ${id} of term ${term} lacks committed entry ${top}`);
    }
  }

  /** Durable hard state written: terms never decrease, one vote per (node, term), a cast vote kept for its term. */
  hardState(id: NodeId, term: number, vote: NodeId | null): void {
    const prev = this.durableTerm.get(id) ?? 0;
    if (term < prev) this.fail('term-monotonic', `${id} term went ${prev} → ${term}`);
    this.durableTerm.set(id, term);
    const last = this.durableVote.get(id);
    if (last !== undefined && last.term === term && last.vote !== null && last.vote !== vote) this.fail('vote-kept', `${id} voted for ${last.vote} in term ${term}, then persisted vote ${String(vote)} in the same term`);
    this.durableVote.set(id, { term, vote });
    if (vote !== null) {
      const key = `${id}@${term}`;
      const had = this.votes.get(key);
      if (had !== undefined && had !== vote) this.fail('one-vote-per-term', `${id} voted for ${had} and ${vote} in term ${term}`);
      this.votes.set(key, vote);
    }
  }

  /** Entries written to a node's log (Ready.entries): Log Matching against every other node. */
  entries(id: NodeId, entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const l = this.log(id);
    const first = l.write(entries);
    if (first <= (this.commit.get(id) ?? 0)) this.fail('committed-truncated', `${id} rewrote index ${first} at or below its commit`);
    for (const [other, ol] of this.logs) {
      if (other === id) continue;
      const end = Math.min(l.lastIndex(), ol.lastIndex());
      for (let i = first; i <= end; i++) {
        if (l.terms[i] === ol.terms[i] && l.hashes[i] !== ol.hashes[i]) {
          this.fail('log-matching', `${id} and ${other} agree on term ${l.terms[i]} at ${i} but differ before`);
          return;
        }
      }
    }
  }

  /** A node's commit index: monotonic per incarnation, ≤ last, and what it commits is recorded. */
  commitIndex(id: NodeId, commit: number): void {
    const prev = this.commit.get(id) ?? 0;
    if (commit < prev) this.fail('commit-monotonic', `${id} commit went ${prev} → ${commit}`);
    const l = this.log(id);
    if (commit > l.lastIndex()) this.fail('commit-le-last', `${id} commit ${commit} > last ${l.lastIndex()}`);
    for (let i = prev + 1; i <= Math.min(commit, l.lastIndex()); i++) this.recordCommitted(id, i, l);
    this.commit.set(id, commit);
  }

  private recordCommitted(id: NodeId, i: number, l: MirrorLog): void {
    const c = this.committed[i];
    if (c === undefined) {
      if (i === this.committed.length) this.committed.push({ term: l.terms[i]!, hash: l.hashes[i]! });
    } else if (c.hash !== l.hashes[i]) {
      this.fail('state-machine-safety', `${id} committed a different entry at ${i}`);
    }
  }

  /** Entries applied by a node, in order: State Machine Safety and applied ≤ commit. */
  appliedEntries(id: NodeId, entries: readonly Entry[], commit: number): void {
    let upTo = this.appliedUpTo.get(id) ?? 0;
    for (const e of entries) {
      if (e.index !== upTo + 1) this.fail('apply-order', `${id} applied ${e.index} after ${upTo}`);
      upTo = e.index;
      const h = entryHash(e);
      const known = this.applied[e.index];
      if (known === undefined) {
        if (e.index === this.applied.length) this.applied.push(h);
      } else if (known !== h) this.fail('state-machine-safety', `${id} applied a different entry at ${e.index}`);
    }
    if (upTo > commit) this.fail('applied-le-commit', `${id} applied ${upTo} > commit ${commit}`);
    this.appliedUpTo.set(id, upTo);
  }

  /** Highest index known committed anywhere. */
  get committedIndex(): number {
    return this.committed.length - 1;
  }
}
