import { afterAll, describe, expect, it } from 'vitest';
import { scenarioRun } from '../../src/testing/sim/scenarios.js';
import { KV_MUTANTS, loadMutant, type Mutant, type MutatedSim } from './mutate.js';

/** How each KV bug is hunted on the real KV (a named scenario or plain swarm runs), seeds 1…budget, and which check must catch it. */
const HUNTS: { mutant: Mutant; scenario?: string; nodes: number; budget: number; by: RegExp }[] = [
  { mutant: KV_MUTANTS.ignoreSessionDedupe, scenario: 'client-retry', nodes: 3, budget: 20, by: /one-effect|linearizability/ },
  { mutant: KV_MUTANTS.snapshotForgetsSessions, nodes: 3, budget: 20, by: /replica-state/ },
  { mutant: KV_MUTANTS.staleGet, nodes: 3, budget: 10, by: /linearizability|durability/ },
];

async function firstCaught(sim: MutatedSim, h: (typeof HUNTS)[number]): Promise<{ seed: number; why: string } | null> {
  for (let seed = 1; seed <= h.budget; seed++) {
    const base = { seed, nodes: h.nodes, steps: 5000, kv: 'real' as const };
    const { result, ok } = h.scenario !== undefined ? await sim.scenarioRun(h.scenario, base) : { result: await sim.runSim(base), ok: false };
    const failed = h.scenario !== undefined ? !ok : !sim.passed(result);
    if (failed) return { seed, why: result.violations[0]?.invariant ?? `leader=${result.leaderAfterHeal} settled=${result.settled} converged=${result.converged}` };
  }
  return null;
}

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
