import { afterAll, describe, expect, it } from 'vitest';
import { firstCaught, loadMutant, MUTANTS, type Hunt, type MutatedSim } from './mutate.js';

/**
 * How each re-introduced bug is hunted, and the seed budget within which CI
 * requires it to be caught: plain swarm runs or a named scenario, seeds 1…budget.
 */
const HUNTS: Hunt[] = [
  { mutant: MUTANTS.noBlankEntry, nodes: 3, budget: 5 },
  { mutant: MUTANTS.ackBeforeFsync, scenario: 'all-crash', nodes: 3, budget: 20 },
  { mutant: MUTANTS.ackBeforeDurablePipelined, scenario: 'all-crash', nodes: 3, budget: 20, options: { writes: 'pipelined' } },
  { mutant: MUTANTS.forgetVote, nodes: 5, budget: 40 },
  // A read-path bug, whatever the write mode: pinned to the histories it was tuned on (caught at seed 11; auto: 20 of 20).
  { mutant: MUTANTS.localReads, scenario: 'deposed-leader-read', nodes: 3, budget: 20, options: { writes: 'sync' } },
  { mutant: MUTANTS.commitOldTerm, scenario: 'figure-8', nodes: 5, budget: 40 },
  { mutant: MUTANTS.noCheckQuorum, scenario: 'leader-isolated', nodes: 3, budget: 20 },
  { mutant: MUTANTS.truncateAtCorruption, scenario: 'bit-rot', nodes: 3, budget: 20 },
];

describe('mutants: each re-introduced bug is caught within the CI seed budget', () => {
  const loaded: MutatedSim[] = [];
  afterAll(() => { for (const m of loaded) m.dispose(); });

  for (const h of HUNTS) {
    it(`${h.mutant.name} is caught by ${h.scenario ?? 'plain swarm runs'} within ${h.budget} seeds`, async () => {
      const sim = await loadMutant(h.mutant);
      loaded.push(sim);
      const caught = await firstCaught(sim, h);
      console.log(`mutant ${h.mutant.name}: ${caught === null ? 'NOT caught' : `caught at seed ${caught.seed} (${caught.why})`}`);
      expect(caught, `${h.mutant.name} survived ${h.budget} seeds`).not.toBeNull();
    });
  }

  it('the unmutated simulator passes the same hunts on their first seeds (the catches are the bugs)', async () => {
    const { scenarioRun } = await import('../../src/testing/sim/scenarios.js');
    for (const h of HUNTS) {
      if (h.scenario === undefined) continue;
      const { ok, result } = await scenarioRun(h.scenario, { seed: 1, nodes: h.nodes, steps: 5000, ...h.options });
      expect(ok, `${h.scenario}: ${result.violations[0]?.detail}`).toBe(true);
    }
  });
});
