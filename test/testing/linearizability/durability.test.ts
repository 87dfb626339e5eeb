import { describe, expect, it } from 'vitest';
import { checkKvDurability } from '../../../src/testing/linearizability/index.js';
import { createPrng } from '../../../src/util/prng.js';
import { cas, del, fail, info, linearizableHistory, r, w } from './histories.js';

describe('checkKvDurability', () => {
  it('finds nothing wrong in linearizable histories', () => {
    for (let seed = 0; seed < 50; seed++) {
      const h = linearizableHistory(createPrng(seed), { ops: 80, clients: 4, keys: 2, infoRate: 0.1, failRate: 0.1 });
      expect(checkKvDurability(h)).toEqual([]);
    }
  });

  it('reports a read of a value nobody wrote, including one only a failed write or failed CAS carried', () => {
    const v = checkKvDurability([w('a', 1, 0, 1), r('a', 9, 2, 3)]);
    expect(v.map((x) => x.kind)).toEqual(['phantom-read']);
    expect(v[0]!.message).toContain('returned 9');
    expect(checkKvDurability([fail(w('a', 9, 0, 1)), r('a', 9, 2, 3)])).toHaveLength(1);
    expect(checkKvDurability([cas('a', 1, 9, false, 0, 1), r('a', 9, 2, 3)])).toHaveLength(1);
    // A write called after the read returned cannot explain it.
    expect(checkKvDurability([r('a', 9, 0, 1), w('a', 9, 2, 3)])).toHaveLength(1);
  });

  it('accepts a value from a write of unknown outcome', () => {
    expect(checkKvDurability([info(w('a', 9, 0, 1)), r('a', 9, 5, 6)])).toEqual([]);
  });

  it('reports an acknowledged write that a later read does not see', () => {
    const lost = w('a', 2, 10, 20);
    const v = checkKvDurability([w('a', 1, 0, 5), lost, r('a', 1, 30, 31)]);
    expect(v).toHaveLength(1);
    expect(v[0]!.kind).toBe('lost-write');
    expect(v[0]!.write).toBe(lost);
    // The initial (absent) state counts as written before everything.
    expect(checkKvDurability([w('a', 1, 0, 5), r('a', null, 30, 31)])[0]?.kind).toBe('lost-write');
    expect(checkKvDurability([w('a', 1, 0, 5), del('a', 6, 7), r('a', null, 30, 31)])).toEqual([]);
  });

  it('does not blame a write when the read overlaps it or a newer write explains the value', () => {
    expect(checkKvDurability([w('a', 1, 0, 5), w('a', 2, 10, 20), r('a', 1, 15, 31)])).toEqual([]);
    expect(checkKvDurability([w('a', 2, 10, 20), w('a', 1, 15, 25), r('a', 1, 30, 31)])).toEqual([]);
  });
});
