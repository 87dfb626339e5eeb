import { afterAll, describe, expect, it } from 'vitest';
import { scenarioRun } from '../../src/testing/sim/scenarios.js';
import { firstCaught, KV_MUTANTS, loadMutant, type Hunt, type MutatedSim } from './mutate.js';

/** How each KV bug is hunted on the real KV (a named scenario or plain swarm runs), seeds 1…budget, and which check must catch it. */
const REAL = { kv: 'real' } as const;
const HUNTS: (Hunt & { by: RegExp })[] = [
  { mutant: KV_MUTANTS.ignoreSessionDedupe, scenario: 'client-retry', nodes: 3, budget: 20, options: REAL, by: /one-effect|linearizability/ },
  { mutant: KV_MUTANTS.snapshotForgetsSessions, nodes: 3, budget: 20, options: REAL, by: /replica-state/ },
  { mutant: KV_MUTANTS.staleGet, nodes: 3, budget: 10, options: REAL, by: /linearizability|durability/ },
];

describe('KV mutants: bugs of the real KvStateMachine are caught by real-KV runs', () => {
  const loaded: MutatedSim[] = [];
  afterAll(() => { for (const m of loaded) m.dispose(); });

  for (const h of HUNTS) {
    it(`${h.mutant.name} is caught by ${h.scenario ?? 'plain swarm runs'} on the real KV within ${h.budget} seeds`, async () => {
      const sim = await loadMutant(h.mutant);
      loaded.push(sim);
      const caught = await firstCaught(sim, h);
      console.log(`mutant ${h.mutant.name}: ${caught === null ? 'NOT caught' : `caught at seed ${caught.seed} (${caught.why})`}`);
      expect(caught, `${h.mutant.name} survived ${h.budget} seeds`).not.toBeNull();
      expect(caught?.why).toMatch(h.by);
    });
  }

  it('the unmutated KV passes the client-retry seeds', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { ok, result } = await scenarioRun('client-retry', { seed, nodes: 3, steps: 5000, kv: 'real' });
      expect(ok, result.violations[0]?.detail).toBe(true);
    }
  });
});
