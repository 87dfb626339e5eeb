import { describe, expect, it } from 'vitest';
import { RaftSim } from '../../src/testing/sim/raft-sim.js';

const SEEDS = Number(process.env.QK_SIM_SEEDS ?? 60);

function check(seed: number, nodes: number): void {
  const r = new RaftSim({ seed, nodes, steps: 20_000 }).run();
  if (r.violations.length > 0 || !r.leaderAfterHeal || !r.converged) {
    // The one command that replays this run, for whoever reads the failure.
    console.error(`seed ${seed} failed: ${JSON.stringify(r.violations.slice(0, 3))} leader=${r.leaderAfterHeal} converged=${r.converged}\n  replay: ${r.replay}`);
  }
  expect(r.violations).toEqual([]);
  expect(r.leaderAfterHeal).toBe(true);
  expect(r.converged).toBe(true);
}

describe('seeded randomized runs: partitions, drops, duplicates, delays, crash-restarts', () => {
  for (const nodes of [3, 5]) {
    it(`${SEEDS} seeds on ${nodes} nodes keep every safety invariant and recover after healing`, () => {
      for (let seed = 1; seed <= SEEDS; seed++) check(seed * 7919 + nodes, nodes);
    });
  }

  it('one seed replays one history exactly', () => {
    const a = new RaftSim({ seed: 42, nodes: 5, steps: 3000 }).run();
    const b = new RaftSim({ seed: 42, nodes: 5, steps: 3000 }).run();
    expect(a).toEqual(b);
    const c = new RaftSim({ seed: 43, nodes: 5, steps: 3000 }).run();
    expect(c.events === a.events && c.acked === a.acked && c.virtualMs === a.virtualMs).toBe(false);
  });

  it('the runs exercise leader changes, truncations, pre-vote rejections and crashes', () => {
    const total: Record<string, number> = {};
    for (let seed = 1; seed <= 10; seed++) {
      const r = new RaftSim({ seed, nodes: 5, steps: 20_000 }).run();
      for (const [k, v] of Object.entries(r.counters)) total[k] = (total[k] ?? 0) + v;
    }
    for (const k of ['leaderChanges', 'logTruncations', 'preVoteRejections', 'crashes', 'restarts', 'partitions', 'snapshots', 'snapshotInstalls', 'configChanges', 'transfers']) expect(total[k], k).toBeGreaterThan(0);
  });
});
