import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../src/raft/core/log.js';
import { EntryType, type Entry } from '../../src/raft/core/types.js';

const ent = (index: number, term: number, bytes = 1): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(bytes) });
/** Entries with the given terms, from index `from`. */
const ents = (terms: number[], from = 1, bytes = 1): Entry[] => terms.map((t, i) => ent(from + i, t, bytes));
const termsOf = (es: readonly Entry[]): number[] => es.map((e) => e.term);

describe('RaftLog basics', () => {
  it('an empty log: first 1, last 0, term(0) = 0', () => {
    const l = new RaftLog();
    expect([l.firstIndex(), l.lastIndex(), l.lastTerm(), l.term(0)]).toEqual([1, 0, 0, 0]);
    expect(l.term(1)).toBeUndefined();
  });

  it('restored entries are stable; commit is clamped to the last index', () => {
    const l = new RaftLog(0, 0, ents([1, 1, 2]), 10);
    expect([l.stable, l.committed, l.applied]).toEqual([3, 3, 0]);
    expect(l.unstableEntries()).toEqual([]);
  });

  it('after a snapshot point: firstIndex, term at the point, nothing below it', () => {
    const l = new RaftLog(5, 3, ents([3, 4], 6), 0);
    expect([l.firstIndex(), l.lastIndex(), l.lastTerm(), l.term(5), l.committed, l.applied]).toEqual([6, 7, 4, 3, 5, 5]);
    expect(l.term(4)).toBeUndefined();
    expect(l.entry(5)).toBeUndefined();
    expect(l.entry(6)?.term).toBe(3);
  });

  it('isUpToDate (§5.4.1): a higher last term wins, else a log at least as long', () => {
    const l = new RaftLog(0, 0, ents([1, 2, 2]));
    expect(l.isUpToDate(1, 3)).toBe(true);
    expect(l.isUpToDate(3, 2)).toBe(true);
    expect(l.isUpToDate(4, 2)).toBe(true);
    expect(l.isUpToDate(2, 2)).toBe(false);
    expect(l.isUpToDate(9, 1)).toBe(false);
  });
});

describe('findConflictByTerm', () => {
  // index: 1 2 3 4 5 6 7
  // term:  1 1 3 3 3 5 5
  const l = new RaftLog(0, 0, ents([1, 1, 3, 3, 3, 5, 5]));
  const cases: [number, number, number, number][] = [
    // [index, term] → [found index, found term]
    [7, 5, 7, 5],
    [7, 4, 5, 3], // skips the whole term-5 run
    [7, 2, 2, 1], // and the term-3 run
    [5, 3, 5, 3],
    [4, 2, 2, 1],
    [7, 0, 0, 0],
    [99, 9, 7, 5], // past the end: start from the last index
    [0, 1, 0, 0],
  ];
  for (const [i, t, wi, wt] of cases) {
    it(`(${i}, ${t}) → (${wi}, ${wt})`, () => {
      expect(l.findConflictByTerm(i, t)).toEqual({ index: wi, term: wt });
    });
  }

  it('stops at the snapshot point', () => {
    const s = new RaftLog(4, 2, ents([3, 3], 5));
    expect(s.findConflictByTerm(6, 1)).toEqual({ index: 4, term: 2 });
    expect(s.findConflictByTerm(6, 2)).toEqual({ index: 4, term: 2 });
  });
});

describe('maybeAppend (§5.3)', () => {
  const base = (): RaftLog => new RaftLog(0, 0, ents([1, 2, 3]));

  it('refuses when the term at prevIndex does not match, or prevIndex is past the end', () => {
    const l = base();
    expect(l.maybeAppend(3, 2, ents([4], 4))).toBeNull();
    expect(l.maybeAppend(4, 3, ents([4], 5))).toBeNull();
    expect(termsOf(l.slice(1, 10))).toEqual([1, 2, 3]);
  });

  it('appends after a matching prevIndex and returns the last new index', () => {
    const l = base();
    expect(l.maybeAppend(3, 3, ents([4, 4], 4))).toBe(5);
    expect(termsOf(l.slice(1, 10))).toEqual([1, 2, 3, 4, 4]);
    expect(l.unstableEntries().map((e) => e.index)).toEqual([4, 5]);
  });

  it('an empty append is a match check: returns prevIndex and changes nothing', () => {
    const l = base();
    expect(l.maybeAppend(2, 2, [])).toBe(2);
    expect(l.lastIndex()).toBe(3);
  });

  it('entries already held are skipped; nothing after them is dropped', () => {
    const l = base();
    expect(l.maybeAppend(0, 0, ents([1, 2]))).toBe(2);
    expect(termsOf(l.slice(1, 10))).toEqual([1, 2, 3]);
    expect(l.truncations).toBe(0);
  });

  it('truncates the conflicting suffix from the first differing entry', () => {
    const l = base();
    expect(l.maybeAppend(1, 1, ents([2, 4, 4], 2))).toBe(4);
    expect(termsOf(l.slice(1, 10))).toEqual([1, 2, 4, 4]);
    expect(l.truncations).toBe(1);
  });

  it('truncating a conflict at or below the commit index is an invariant violation', () => {
    const l = base();
    l.commitTo(2);
    expect(() => l.maybeAppend(1, 1, ents([5], 2))).toThrow(/Raft invariant/);
  });
});

describe('append', () => {
  it('refuses a gap', () => {
    const l = new RaftLog(0, 0, ents([1]));
    expect(() => l.append(ents([1], 3))).toThrow(/gap/);
  });
});

describe('slice byte limits', () => {
  const l = new RaftLog(0, 0, ents([1, 1, 1, 1, 1], 1, 10));

  it('returns [lo, hi) clamped to the log', () => {
    expect(l.slice(2, 4).map((e) => e.index)).toEqual([2, 3]);
    expect(l.slice(0, 99).map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    expect(l.slice(4, 4)).toEqual([]);
    expect(l.slice(6, 9)).toEqual([]);
  });

  it('stops before the entry that would exceed maxBytes', () => {
    expect(l.slice(1, 6, 25).map((e) => e.index)).toEqual([1, 2]);
    expect(l.slice(1, 6, 30).map((e) => e.index)).toEqual([1, 2, 3]);
    expect(l.slice(2, 6, 29).map((e) => e.index)).toEqual([2, 3]);
  });

  it('always returns at least one entry, however large', () => {
    expect(l.slice(3, 6, 1).map((e) => e.index)).toEqual([3]);
    expect(l.slice(3, 6, 0).map((e) => e.index)).toEqual([3]);
  });
});

describe('stable, commit and apply', () => {
  it('stableTo moves forward only for a matching (index, term)', () => {
    const l = new RaftLog(0, 0, ents([1]));
    l.append(ents([2, 2], 2));
    expect(l.unstableEntries().map((e) => e.index)).toEqual([2, 3]);
    l.stableTo(3, 1); // wrong term
    expect(l.stable).toBe(1);
    l.stableTo(2, 2);
    expect(l.stable).toBe(2);
    l.stableTo(1, 1); // never backwards
    expect(l.stable).toBe(2);
  });

  it('a truncation pulls `stable` back below the cut; an ack for the replaced entries is then ignored', () => {
    const l = new RaftLog(0, 0, ents([1, 1, 1, 1]));
    expect(l.stable).toBe(4);
    l.append(ents([2, 2], 3));
    expect(l.stable).toBe(2);
    expect(l.unstableEntries().map((e) => [e.index, e.term])).toEqual([
      [3, 2],
      [4, 2],
    ]);
    l.stableTo(4, 1); // the storage ack of the old entry 4
    expect(l.stable).toBe(2);
    l.stableTo(4, 2);
    expect(l.stable).toBe(4);
  });

  it('a truncation beyond the stable point leaves it alone', () => {
    const l = new RaftLog(0, 0, ents([1, 1]));
    l.append(ents([1, 1], 3)); // 3, 4 unstable
    l.append(ents([2], 4));
    expect(l.stable).toBe(2);
    expect(l.unstableEntries().map((e) => e.index)).toEqual([3, 4]);
  });

  it('commitTo never moves back and never past the last index', () => {
    const l = new RaftLog(0, 0, ents([1, 1, 1]));
    l.commitTo(2);
    l.commitTo(1);
    expect(l.committed).toBe(2);
    expect(() => l.commitTo(4)).toThrow(/past last index/);
  });

  it('takeCommitted hands out each committed entry once, even before its apply is acknowledged', () => {
    const l = new RaftLog(0, 0, ents([1, 1, 1]));
    l.commitTo(2);
    expect(l.takeCommitted().map((e) => e.index)).toEqual([1, 2]);
    expect(l.hasNextCommitted()).toBe(false);
    expect(l.applied).toBe(0);
    l.appliedTo(2);
    l.commitTo(3);
    expect(l.takeCommitted().map((e) => e.index)).toEqual([3]);
  });

  it('takeCommitted(durableOnly) holds back committed entries not yet durable here', () => {
    const l = new RaftLog(0, 0, []);
    l.append(ents([1, 1, 1]));
    l.commitTo(3);
    expect(l.takeCommitted(true)).toEqual([]);
    l.stableTo(2, 1);
    expect(l.takeCommitted(true).map((e) => e.index)).toEqual([1, 2]);
    l.stableTo(3, 1);
    expect(l.takeCommitted(true).map((e) => e.index)).toEqual([3]);
  });

  it('takeUnpersisted hands out each entry once; a truncation hands out the replacement, and a late acknowledgement of the replaced entries counts for nothing', () => {
    const l = new RaftLog(0, 0, []);
    l.append(ents([1, 1, 1]));
    expect(l.takeUnpersisted().map((e) => e.index)).toEqual([1, 2, 3]);
    expect(l.hasUnpersisted()).toBe(false);
    l.append([{ term: 2, index: 3, type: EntryType.Normal, data: new Uint8Array(0) }]);
    expect(l.takeUnpersisted().map((e) => [e.index, e.term])).toEqual([[3, 2]]);
    l.stableTo(3, 1);
    expect(l.stable).toBe(0);
    l.stableTo(3, 2);
    expect(l.stable).toBe(3);
  });
});
