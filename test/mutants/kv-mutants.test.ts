import { afterAll, describe, expect, it } from 'vitest';
import { scenarioRun } from '../../src/testing/sim/scenarios.js';
import { KV_MUTANTS, loadMutant, type MutatedSim } from './mutate.js';

const BUDGET = 20;

describe('KV mutants: a KvStateMachine that re-applies retried commands is caught by real-KV runs', () => {
  let sim: MutatedSim | null = null;
  afterAll(() => sim?.dispose());

  it(`${KV_MUTANTS.ignoreSessionDedupe.name} is caught by client-retry on the real KV within ${BUDGET} seeds`, async () => {
    sim = await loadMutant(KV_MUTANTS.ignoreSessionDedupe);
    let caught: { seed: number; why: string } | null = null;
    for (let seed = 1; seed <= BUDGET && caught === null; seed++) {
      const { ok, result } = await sim.scenarioRun('client-retry', { seed, nodes: 3, steps: 5000, kv: 'real' });
      if (!ok) caught = { seed, why: result.violations[0]?.invariant ?? 'expectation' };
    }
    console.log(`mutant ${KV_MUTANTS.ignoreSessionDedupe.name}: ${caught === null ? 'NOT caught' : `caught at seed ${caught.seed} (${caught.why})`}`);
    expect(caught).not.toBeNull();
    expect(caught?.why).toMatch(/one-effect|linearizability/);
  });

  it('the unmutated KV passes the same seeds', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { ok, result } = await scenarioRun('client-retry', { seed, nodes: 3, steps: 5000, kv: 'real' });
      expect(ok, result.violations[0]?.detail).toBe(true);
    }
  });
});
