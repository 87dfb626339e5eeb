import { describe, expect, it } from 'vitest';
import {
  allVoters,
  hasMajority,
  jointCommitted,
  jointHasMajority,
  jointVoteResult,
  majorityCommitted,
  majorityVoteResult,
  type VoterConfig,
} from '../../src/raft/core/quorum.js';

const set = (...ids: string[]): Set<string> => new Set(ids);
const acked = (m: Record<string, number>) => (id: string): number => m[id] ?? 0;
const votes = (m: Record<string, boolean>): Map<string, boolean> => new Map(Object.entries(m));
const joint = (incoming: string[], outgoing: string[]): VoterConfig => ({ incoming: set(...incoming), outgoing: set(...outgoing) });

describe('majorityCommitted', () => {
  it('is the highest index held by a majority, for odd and even sizes', () => {
    expect(majorityCommitted(set('a'), acked({ a: 7 }))).toBe(7);
    expect(majorityCommitted(set('a', 'b'), acked({ a: 7, b: 3 }))).toBe(3);
    expect(majorityCommitted(set('a', 'b', 'c'), acked({ a: 7, b: 3, c: 5 }))).toBe(5);
    expect(majorityCommitted(set('a', 'b', 'c', 'd'), acked({ a: 4, b: 3, c: 2, d: 1 }))).toBe(2);
    expect(majorityCommitted(set('a', 'b', 'c', 'd', 'e'), acked({ a: 9, b: 9, c: 1, d: 2, e: 3 }))).toBe(3);
  });

  it('counts a voter missing from the acknowledgements as 0', () => {
    expect(majorityCommitted(set('a', 'b', 'c'), acked({ a: 5 }))).toBe(0);
    expect(majorityCommitted(set('a', 'b', 'c'), acked({ a: 5, b: 4 }))).toBe(4);
  });

  it('ignores acknowledgements of non-voters', () => {
    expect(majorityCommitted(set('a', 'b', 'c'), acked({ a: 5, x: 9, y: 9 }))).toBe(0);
  });

  it('an empty config never constrains (+Infinity)', () => {
    expect(majorityCommitted(set(), acked({}))).toBe(Number.POSITIVE_INFINITY);
  });

  it('agrees with a brute-force definition on random inputs', () => {
    let x = 12345;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + rnd(7);
      const ids = Array.from({ length: n }, (_, i) => `n${i}`);
      const m: Record<string, number> = {};
      for (const id of ids) m[id] = rnd(20);
      // Largest k such that more than half of the voters acked ≥ k.
      let want = 0;
      for (let k = 0; k <= 20; k++) if (ids.filter((id) => m[id]! >= k).length * 2 > n) want = k;
      expect(majorityCommitted(new Set(ids), acked(m))).toBe(want);
    }
  });
});

describe('majorityVoteResult', () => {
  it('won at a majority of grants, lost once a majority is out of reach, pending otherwise', () => {
    const v = set('a', 'b', 'c', 'd', 'e');
    expect(majorityVoteResult(v, votes({ a: true, b: true }))).toBe('pending');
    expect(majorityVoteResult(v, votes({ a: true, b: true, c: true }))).toBe('won');
    expect(majorityVoteResult(v, votes({ a: true, b: false, c: false }))).toBe('pending');
    expect(majorityVoteResult(v, votes({ a: true, b: false, c: false, d: false }))).toBe('lost');
  });

  it('in an even config a tie is a loss', () => {
    expect(majorityVoteResult(set('a', 'b', 'c', 'd'), votes({ a: true, b: true, c: false, d: false }))).toBe('lost');
    expect(majorityVoteResult(set('a', 'b', 'c', 'd'), votes({ a: true, b: true, c: false }))).toBe('pending');
  });

  it('votes of non-voters do not count', () => {
    expect(majorityVoteResult(set('a', 'b', 'c'), votes({ a: true, x: true, y: true }))).toBe('pending');
  });

  it('an empty config wins', () => {
    expect(majorityVoteResult(set(), votes({}))).toBe('won');
  });
});

describe('hasMajority', () => {
  it('needs strictly more than half', () => {
    const v = set('a', 'b', 'c', 'd');
    expect(hasMajority(v, (id) => id === 'a' || id === 'b')).toBe(false);
    expect(hasMajority(v, (id) => id !== 'd')).toBe(true);
    expect(hasMajority(set(), () => false)).toBe(true);
  });
});

describe('joint configurations (Cold,new)', () => {
  const cfg = joint(['a', 'b', 'c'], ['c', 'd', 'e']);

  it('commit is the lower of both majorities', () => {
    expect(jointCommitted(cfg, acked({ a: 9, b: 8, c: 3, d: 2, e: 1 }))).toBe(2);
    expect(jointCommitted(cfg, acked({ a: 1, b: 2, c: 5, d: 6, e: 7 }))).toBe(2);
    expect(jointCommitted(cfg, acked({ a: 5, b: 5, c: 5, d: 5, e: 0 }))).toBe(5);
  });

  it('a joint config with an empty outgoing half behaves as a simple majority', () => {
    expect(jointCommitted(joint(['a', 'b', 'c'], []), acked({ a: 4, b: 2, c: 1 }))).toBe(2);
    expect(jointVoteResult(joint(['a', 'b', 'c'], []), votes({ a: true, b: true }))).toBe('won');
  });

  it('an election is won only with a majority of each half', () => {
    expect(jointVoteResult(cfg, votes({ a: true, b: true }))).toBe('pending');
    expect(jointVoteResult(cfg, votes({ a: true, b: true, d: true }))).toBe('pending');
    expect(jointVoteResult(cfg, votes({ a: true, b: true, d: true, e: true }))).toBe('won');
    expect(jointVoteResult(cfg, votes({ a: true, c: true, d: true }))).toBe('won'); // c counts in both
  });

  it('an election is lost if either half is lost', () => {
    expect(jointVoteResult(cfg, votes({ a: true, b: true, c: true, d: false, e: false }))).toBe('lost');
    expect(jointVoteResult(cfg, votes({ a: false, b: false, d: true, e: true }))).toBe('lost');
  });

  it('activity needs a majority of each half', () => {
    expect(jointHasMajority(cfg, (id) => ['a', 'b', 'c'].includes(id))).toBe(false); // only c of the outgoing half
    expect(jointHasMajority(cfg, (id) => ['a', 'c', 'd'].includes(id))).toBe(true);
    expect(jointHasMajority(cfg, (id) => ['a', 'b', 'd'].includes(id))).toBe(false);
    expect(jointHasMajority(cfg, (id) => ['a', 'b', 'd', 'e'].includes(id))).toBe(true);
  });

  it('allVoters is the union of both halves', () => {
    expect([...allVoters(cfg)].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
