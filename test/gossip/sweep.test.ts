import { describe, expect, it } from 'vitest';
import { gossipSweepSeed } from '../../src/gossip/sim-sweep.js';

describe('gossip fault sweep (crashes, restarts, partitions, pauses, leaves; then a heal)', () => {
  it('60 seeds: incarnations stay monotonic and every view converges after the heal', () => {
    const failed = [];
    let faults = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = gossipSweepSeed(seed);
      faults += r.plan.length - 2;
      if (r.violations.length > 0) failed.push(`seed ${seed}: ${r.violations.join('; ')}\n  ${r.plan.join(' | ')}`);
    }
    expect(failed).toEqual([]);
    expect(faults).toBeGreaterThan(200);
  });

  it('seeds that once held a crashed member suspect for ever now converge', () => {
    // 2278: every other member had restarted since the crash and never heard of the suspect, so
    // nobody could confirm. 2912: the confirmations were lost in a partition. 2985: the accuser was
    // the last member up. (A suspect dead elsewhere at an older incarnation: invariants.test.ts.)
    for (const seed of [2278, 2912, 2985]) {
      const r = gossipSweepSeed(seed);
      expect(r.violations, `seed ${seed}: ${r.plan.join(' | ')}`).toEqual([]);
      expect(r.convergedAfterMs).toBeGreaterThanOrEqual(0);
    }
  });
});
