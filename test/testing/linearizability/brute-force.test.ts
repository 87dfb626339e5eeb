import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bruteForceCheck, checkLinearizability, kvModel, type KvOp, type KvValue } from '../../../src/testing/linearizability/index.js';
import { createPrng } from '../../../src/util/prng.js';
import { info, linearizableHistory, r, w } from './histories.js';

const value = fc.option(fc.integer({ min: 1, max: 2 }), { nil: null });

/** A small, arbitrary (mostly illegal) concurrent KV op over 2 keys and 3 values. */
const opArb: fc.Arbitrary<KvOp> = fc
  .record({
    client: fc.integer({ min: 0, max: 3 }),
    key: fc.constantFrom('a', 'b'),
    kind: fc.constantFrom('read', 'write', 'cas', 'delete'),
    v1: value,
    v2: value,
    casOut: fc.boolean(),
    call: fc.integer({ min: 0, max: 20 }),
    dur: fc.integer({ min: 0, max: 12 }),
    outcome: fc.constantFrom('ok', 'ok', 'ok', 'info', 'fail'),
  })
  .map((o): KvOp => {
    const base = { client: o.client, key: o.key, call: o.call, return: o.call + o.dur, outcome: o.outcome } as const;
    let op: KvOp;
    switch (o.kind) {
      case 'read': op = { ...base, kind: 'read', output: o.v1 }; break;
      case 'write': op = { ...base, kind: 'write', input: o.v1 ?? 1 }; break;
      case 'delete': op = { ...base, kind: 'delete' }; break;
      default: op = { ...base, kind: 'cas', input: { expected: o.v1, value: o.v2 }, output: o.casOut };
    }
    return o.outcome === 'info' ? info(op) : op;
  });

/** A linearizable history (≤ 7 ops, small value domain), possibly with one output changed. */
const nearlyValidArb: fc.Arbitrary<KvOp[]> = fc
  .record({ seed: fc.integer(), ops: fc.integer({ min: 1, max: 7 }), mutate: fc.option(fc.record({ at: fc.nat(), out: value })) })
  .map(({ seed, ops, mutate }) => {
    const h = linearizableHistory(createPrng(seed), { ops, clients: 3, keys: 2, maxValue: 2, infoRate: 0.2, failRate: 0.1 });
    if (mutate !== null) {
      const i = mutate.at % h.length;
      const op = h[i]!;
      if (op.kind === 'read' && op.outcome === 'ok') h[i] = { ...op, output: mutate.out };
      if (op.kind === 'cas' && op.outcome === 'ok') h[i] = { ...op, output: !op.output };
    }
    return h;
  });

function agreeOn(arb: fc.Arbitrary<KvOp[]>, numRuns: number): Record<string, number> {
  const seen: Record<string, number> = { ok: 0, illegal: 0 };
  fc.assert(
    fc.property(arb, (h) => {
      const fast = checkLinearizability<KvValue, KvOp>(h, kvModel).result;
      const slow = bruteForceCheck<KvValue, KvOp>(h, kvModel);
      seen[slow] = (seen[slow] ?? 0) + 1;
      expect(fast).toBe(slow);
    }),
    { numRuns, seed: 20_201_118 },
  );
  return seen;
}

describe('checkLinearizability agrees with the brute-force checker', () => {
  it('on arbitrary concurrent histories of up to 7 ops', () => {
    const seen = agreeOn(fc.array(opArb, { minLength: 0, maxLength: 7 }), 1500);
    // Both verdicts must actually occur, or the property proves little.
    expect(seen.ok).toBeGreaterThan(100);
    expect(seen.illegal).toBeGreaterThan(100);
  });

  it('on histories where most written values are never observed (the simplifier merges those)', () => {
    // Values 1..6, reads and compare-and-sets observe only a few: unobserved writes, many of them indefinite.
    const wide = fc.option(fc.integer({ min: 1, max: 6 }), { nil: null });
    const arb = fc.array(
      fc.record({ op: opArb, v: wide, e: wide }).map(({ op, v, e }): KvOp => {
        if (op.kind === 'write') return { ...op, input: v ?? 5 };
        if (op.kind === 'cas') return { ...op, input: { expected: e, value: v } };
        return op;
      }),
      { minLength: 0, maxLength: 8 },
    );
    const seen = agreeOn(arb, 1500);
    expect(seen.ok).toBeGreaterThan(100);
    expect(seen.illegal).toBeGreaterThan(100);
  });

  it('on linearizable histories and one-output mutations of them', () => {
    const seen = agreeOn(nearlyValidArb, 1500);
    expect(seen.ok).toBeGreaterThan(100);
    expect(seen.illegal).toBeGreaterThan(100);
  });
});

describe('bruteForceCheck', () => {
  it('judges the classic cases itself', () => {
    expect(bruteForceCheck<KvValue, KvOp>([w('a', 1, 0, 10), r('a', null, 20, 30)], kvModel)).toBe('illegal');
    expect(bruteForceCheck<KvValue, KvOp>([w('a', 1, 0, 10), r('a', null, 5, 30)], kvModel)).toBe('ok');
    expect(bruteForceCheck<KvValue, KvOp>([info(w('a', 1, 0, 10)), r('a', null, 20, 30)], kvModel)).toBe('ok');
  });

  it('refuses histories too long to enumerate', () => {
    const h = Array.from({ length: 10 }, (_, i) => w('a', i, i, i));
    expect(() => bruteForceCheck<KvValue, KvOp>(h, kvModel)).toThrow(/at most 9/);
  });
});
