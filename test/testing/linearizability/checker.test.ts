import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../../src/errors.js';
import { checkLinearizability, formatCheckResult, kvModel, type KvOp, type KvValue } from '../../../src/testing/linearizability/index.js';
import { createPrng } from '../../../src/util/prng.js';
import { cas, del, fail, info, linearizableHistory, r, w } from './histories.js';

const check = (h: KvOp[], maxSteps?: number) => checkLinearizability<KvValue, KvOp>(h, kvModel, maxSteps === undefined ? {} : { maxSteps });

describe('checkLinearizability: hand-made histories', () => {
  it('accepts the empty history and a plain sequential one', () => {
    expect(check([]).result).toBe('ok');
    expect(check([w('a', 1, 0, 1), r('a', 1, 2, 3), cas('a', 1, 2, true, 4, 5), r('a', 2, 6, 7), del('a', 8, 9), r('a', null, 10, 11)]).result).toBe('ok');
  });

  it('rejects a stale read after an acknowledged write', () => {
    const res = check([w('a', 1, 0, 10), r('a', null, 20, 30)]);
    expect(res.result).toBe('illegal');
    expect(res.illegal?.key).toBe('a');
    expect(res.illegal?.stuck?.map((o) => o.kind)).toEqual(['read']);
  });

  it('rejects a read of a value never written, and a CAS that succeeded against the wrong value', () => {
    expect(check([w('a', 1, 0, 10), r('a', 7, 20, 30)]).result).toBe('illegal');
    expect(check([w('a', 1, 0, 5), cas('a', 2, 3, true, 10, 15)]).result).toBe('illegal');
    expect(check([w('a', 1, 0, 5), cas('a', 1, 3, false, 10, 15)]).result).toBe('illegal');
  });

  it('rejects a value flipping back after both concurrent writes finished', () => {
    const h = [w('a', 1, 0, 10, 1), w('a', 2, 0, 10, 2), r('a', 1, 20, 25), r('a', 2, 30, 35)];
    expect(check(h).result).toBe('illegal');
    // Either order alone is fine.
    expect(check(h.slice(0, 3)).result).toBe('ok');
  });

  it('lets a read concurrent with a write see either value; equal times count as concurrent', () => {
    expect(check([w('a', 1, 0, 10), r('a', 1, 5, 6, 1)]).result).toBe('ok');
    expect(check([w('a', 1, 0, 10), r('a', null, 5, 6, 1)]).result).toBe('ok');
    expect(check([w('a', 1, 0, 10), r('a', null, 10, 12, 1)]).result).toBe('ok');
    expect(check([w('a', 1, 0, 10), r('a', null, 11, 12, 1)]).result).toBe('illegal');
  });

  it('drops failed operations: a read of a failed write value is illegal', () => {
    expect(check([fail(w('a', 1, 0, 10)), r('a', 1, 20, 30)]).result).toBe('illegal');
    expect(check([fail(w('a', 1, 0, 10)), r('a', null, 20, 30)]).result).toBe('ok');
  });

  it('lets an info write take effect late, or never, but not be undone', () => {
    const wi = info(w('a', 1, 0, 10));
    expect(check([wi, r('a', null, 50, 60)]).result).toBe('ok');
    expect(check([wi, r('a', null, 20, 30), r('a', 1, 40, 50)]).result).toBe('ok');
    expect(check([wi, r('a', 1, 20, 30), r('a', null, 40, 50)]).result).toBe('illegal');
    // Not before its call.
    expect(check([r('a', 1, 0, 5), info(w('a', 1, 10, 20))]).result).toBe('illegal');
  });

  it('applies an info CAS only when its expectation holds', () => {
    const h = [w('a', 1, 0, 1), info(cas('a', 1, 2, true, 2, 3)), r('a', 2, 10, 11)];
    expect(check(h).result).toBe('ok');
    const wrongExpectation = [w('a', 1, 0, 1), info(cas('a', 5, 2, true, 2, 3)), r('a', 2, 10, 11)];
    expect(check(wrongExpectation).result).toBe('illegal');
  });

  it('drops info writes nobody observed before searching, but not when a failed CAS may have needed them', () => {
    const unobserved = [w('a', 1, 0, 1), info(w('a', 2, 2, 3)), r('a', 1, 10, 11)];
    expect(check(unobserved).keys[0]?.ops).toBe(2);
    expect(check(unobserved).result).toBe('ok');
    const observed = [w('a', 1, 0, 1), info(w('a', 2, 2, 3)), r('a', 2, 10, 11)];
    expect(check(observed).keys[0]?.ops).toBe(3);
    // The CAS can only have failed because the info write of 2 took effect: it must stay.
    const neededByCas = [w('a', 1, 0, 1), info(w('a', 2, 2, 3)), cas('a', 1, 3, false, 10, 11)];
    expect(check(neededByCas).keys[0]?.ops).toBe(3);
    expect(check(neededByCas).result).toBe('ok');
  });

  it('checks keys independently and reports each', () => {
    const res = check([w('a', 1, 0, 10), w('b', 2, 0, 10), r('b', 2, 11, 12), r('a', 1, 11, 12)]);
    expect(res.result).toBe('ok');
    expect(res.keys.map((k) => [k.key, k.result, k.ops])).toEqual([['a', 'ok', 2], ['b', 'ok', 2]]);
    // Without partitioning the value of b is not a's value: the whole history must use a per-key model.
    expect(checkLinearizability<KvValue, KvOp>([w('a', 1, 0, 1), r('b', 1, 2, 3)], kvModel, { partitionByKey: false }).result).toBe('ok');
    expect(check([w('a', 1, 0, 1), r('b', 1, 2, 3)]).result).toBe('illegal');
  });

  it('reports unknown, distinctly, when the step budget runs out, but still finds a later illegal key', () => {
    const big = linearizableHistory(createPrng(5), { ops: 60, clients: 6, keys: 1, maxValue: 2 });
    const res = check(big, 20);
    expect(res.result).toBe('unknown');
    expect(res.keys[0]?.result).toBe('unknown');
    expect(res.steps).toBeLessThanOrEqual(20);
    expect(check(big).result).toBe('ok');
    const laterIllegal = [...big, w('z', 1, 0, 1), r('z', 2, 5, 6)];
    expect(check(laterIllegal, 20).result).toBe('illegal');
  });

  it('formats an illegal result with the longest prefix and the stuck operations', () => {
    const res = check([w('a', 1, 0, 10), r('a', 1, 11, 12), r('a', null, 20, 30)]);
    const text = formatCheckResult(res, kvModel.describe);
    expect(text).toContain('illegal');
    expect(text).toContain('write(a, 1)');
    expect(text).toMatch(/none of these[\s\S]*read\(a\) = null/);
  });

  it('rejects malformed histories with InvalidInputError', () => {
    const bad = { ...w('a', 1, 10, 5) };
    expect(() => check([bad])).toThrow(/return >= call/);
    try { check([{ ...r('a', 1, 0, 1), return: undefined } as unknown as KvOp]); } catch (e) { expect(isQuorumkitError(e, 'INVALID_INPUT')).toBe(true); return; }
    expect.unreachable();
  });
});

describe('checkLinearizability: generated histories', () => {
  it('accepts every history produced by a sequential run (with info and fail ops)', () => {
    for (let seed = 0; seed < 200; seed++) {
      const rng = createPrng(seed);
      const h = linearizableHistory(rng, { ops: 5 + rng.int(60), clients: 1 + rng.int(6), keys: 1 + rng.int(3), maxValue: rng.int(2) === 0 ? 3 : undefined, infoRate: 0.1, failRate: 0.1 });
      const res = check(h);
      if (res.result !== 'ok') throw new Error(`seed ${seed}: ${formatCheckResult(res, kvModel.describe)}`);
    }
  });

  it('finishes a 1,000-op single-key history with 8 concurrent clients in a bounded number of steps', () => {
    const h = linearizableHistory(createPrng(42), { ops: 1000, clients: 8, keys: 1, infoRate: 0.02 });
    const res = check(h);
    expect(res.result).toBe('ok');
    expect(res.steps).toBeLessThan(200_000);
  });

  it('finishes a 10,000-op history over 20 keys', () => {
    const h = linearizableHistory(createPrng(43), { ops: 10_000, clients: 10, keys: 20, maxValue: 5, infoRate: 0.02, failRate: 0.02 });
    const res = check(h);
    expect(res.result).toBe('ok');
    expect(res.keys).toHaveLength(20);
  });

  it('finds a single corrupted read in a long history', () => {
    const h = linearizableHistory(createPrng(44), { ops: 400, clients: 5, keys: 2 });
    const i = h.findIndex((op, j) => j > 300 && op.kind === 'read' && op.outcome === 'ok');
    h[i] = { ...h[i]!, output: 999_999 } as KvOp;
    const res = check(h);
    expect(res.result).toBe('illegal');
    expect(res.illegal?.key).toBe(h[i]!.key);
  });
});
