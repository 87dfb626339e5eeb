import { describe, expect, it } from 'vitest';
import { REQUIRED_COVERAGE } from '../../src/testing/sim/counters.js';
import { sweep } from '../../src/testing/sim/sweep.js';

/** The CI sweep: QK_SIM_SEEDS seeds (default 250) on 3 and 5 nodes, 5,000 fault-phase events each: 500 runs. */
const SEEDS = Number(process.env.QK_SIM_SEEDS ?? 250);

describe('the CI sweep', () => {
  it(`${SEEDS} seeds × 3 and 5 nodes × 5,000 steps: no failure, every coverage counter above zero`, async () => {
    const s = await sweep({ seeds: Array.from({ length: SEEDS }, (_, i) => 1000 + i), steps: 5000, sizes: [3, 5] });
    for (const r of s.failed) console.error(`seed ${r.seed}: ${r.plan}\n  ${r.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ').slice(0, 400) || `leader=${r.leaderAfterHeal} converged=${r.converged} settled=${r.settled}`}\n  replay: ${r.replay}`);
    console.log(`sweep: ${s.runs} runs, ${s.seedsPerSecond.toFixed(1)} seeds/s, ${Math.round(s.eventsPerSecond)} events/s, coverage ${JSON.stringify(s.counters)}`);
    expect(s.runs).toBe(2 * SEEDS);
    expect(s.failures).toBe(0);
    expect(s.missing).toEqual([]);
    for (const k of REQUIRED_COVERAGE) expect(s.counters[k] ?? 0, k).toBeGreaterThan(0);
  });

  it('a sweep with a coverage counter stuck at zero reports it', async () => {
    // Without faults nothing crashes, pauses or is wiped: the sweep must notice it is not exploring.
    const s = await sweep({ seeds: Array.from({ length: 20 }, (_, i) => i + 1), steps: 300, sizes: [3] });
    expect(s.runs).toBe(20);
    expect(s.missing.length).toBeGreaterThan(0);
  });
});
