import { describe, expect, it } from 'vitest';
import { SCENARIO_COVERAGE, SCENARIO_NAMES } from '../../src/testing/sim/scenarios.js';
import { sweep } from '../../src/testing/sim/sweep.js';

const SEEDS = Number(process.env.QK_SIM_SCENARIO_SEEDS ?? 20);

describe('named scenarios: every seed passes every check and the scenario\'s expected outcome', () => {
  it('has the scenarios of issue 3 (and bit rot, Figure 8)', () => {
    expect(SCENARIO_NAMES.length).toBeGreaterThanOrEqual(17);
    for (const name of Object.keys(SCENARIO_COVERAGE)) expect(SCENARIO_NAMES).toContain(name);
  });

  for (const name of SCENARIO_NAMES) {
    it(`${name}: ${SEEDS} seeds`, async () => {
      const s = await sweep({ seeds: Array.from({ length: SEEDS }, (_, i) => i + 1), sizes: [3], scenario: name });
      for (const r of s.failed) console.error(`${name} seed ${r.seed}: ${r.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ').slice(0, 400)}\n  replay: ${r.replay}`);
      expect(s.failures).toBe(0);
      expect(s.missing, `coverage counters at zero in ${name}`).toEqual([]);
      expect(s.counters.clientOk ?? 0).toBeGreaterThan(0);
    });
  }
});
