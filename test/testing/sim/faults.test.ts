import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, findFault, formatFaultPlan, pickFaultPlan, SimStreams } from '../../../src/testing/sim/faults.js';

const draw = (n: number, next: () => number): number[] => Array.from({ length: n }, next);

describe('SimStreams', () => {
  it('gives the same streams for the same seed and different ones per label', () => {
    const a = new SimStreams(7);
    const b = new SimStreams(7);
    expect(draw(5, () => a.network.next())).toEqual(draw(5, () => b.network.next()));
    expect(draw(5, () => a.faults.next())).not.toEqual(draw(5, () => a.clients.next()));
    expect(a.jitter('n1')).toBe(a.jitter('n1'));
    expect(draw(3, () => new SimStreams(7).disk('n1').next())).not.toEqual(draw(3, () => new SimStreams(8).disk('n1').next()));
  });

  it('keeps the fault and network streams unchanged when clients or nodes are added', () => {
    const plain = new SimStreams('seed-1');
    const busy = new SimStreams('seed-1');
    // A run with more clients and an extra node draws a lot from their streams first.
    for (const c of [0, 1, 2, 3, 9]) draw(100, () => busy.client(c).next());
    draw(100, () => busy.clients.next());
    draw(100, () => busy.jitter('n6').next());
    expect(formatFaultPlan(pickFaultPlan(busy.faults))).toBe(formatFaultPlan(pickFaultPlan(plain.faults)));
    expect(draw(20, () => busy.network.next())).toEqual(draw(20, () => plain.network.next()));
    expect(draw(20, () => busy.jitter('n1').next())).toEqual(draw(20, () => plain.jitter('n1').next()));
  });
});

describe('pickFaultPlan', () => {
  it('is a function of the seed', () => {
    for (let seed = 0; seed < 50; seed++) {
      expect(pickFaultPlan(new SimStreams(seed).faults)).toEqual(pickFaultPlan(new SimStreams(seed).faults));
    }
  });

  it('enables a varied, never empty subset of kinds across seeds, each kind sometimes', () => {
    const counts = new Map<string, number>();
    const sizes = new Set<number>();
    for (let seed = 0; seed < 300; seed++) {
      const plan = pickFaultPlan(new SimStreams(seed).faults);
      expect(plan.faults.length).toBeGreaterThan(0);
      sizes.add(plan.faults.length);
      for (const f of plan.faults) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
    }
    for (const k of FAULT_KINDS) expect(counts.get(k) ?? 0).toBeGreaterThan(80);
    expect(sizes.size).toBeGreaterThan(5);
  });

  it('keeps intensities in range and restricts to the kinds asked for', () => {
    for (let seed = 0; seed < 100; seed++) {
      const plan = pickFaultPlan(new SimStreams(seed).faults, { kinds: ['drop', 'partition'], enableRate: 1 });
      expect(plan.faults.map((f) => f.kind)).toEqual(['drop', 'partition']);
      const drop = findFault(plan, 'drop')!;
      expect(drop.rate).toBeGreaterThanOrEqual(0.005);
      expect(drop.rate).toBeLessThanOrEqual(0.3);
      expect(findFault(plan, 'crash')).toBeUndefined();
    }
  });

  it('does not let the choice of other kinds change a kind\'s intensity', () => {
    const only = pickFaultPlan(new SimStreams(3).faults, { enableRate: 1 });
    const some = pickFaultPlan(new SimStreams(3).faults, { enableRate: 0.3 });
    for (const f of some.faults) expect(f).toEqual(only.faults.find((g) => g.kind === f.kind));
  });

  it('prints as one line with every parameter', () => {
    const line = formatFaultPlan(pickFaultPlan(new SimStreams(11).faults, { kinds: ['drop', 'partition'], enableRate: 1 }));
    expect(line).toMatch(/^faults: drop\(rate=[0-9.]+\) partition\(everyMs=\d+ forMs=\d+ topologies=[a-z,-]+\)$/);
    expect(line).not.toContain('\n');
    expect(formatFaultPlan({ faults: [] })).toBe('faults: none');
  });
});
