import { describe, expect, it } from 'vitest';
import { runSeed, SeedPool, type SeedJob } from '../../bench/gossip.js';

describe('gossip bench seed pool', () => {
  it('worker processes give the same figures as this process (seeds are deterministic)', async () => {
    const jobs: SeedJob[] = [1, 2, 3].map((seed) => ({ kind: 'crash', n: 40, loss: 0.2, seed, scale: 1, arg: 0.05 }));
    const pool = new SeedPool(2);
    try {
      const viaPool = await Promise.all(jobs.map((j) => pool.run(j)));
      expect(viaPool).toEqual(jobs.map(runSeed));
      expect(new Set(viaPool.map((r) => JSON.stringify(r))).size).toBeGreaterThan(1);
    } finally {
      pool.close();
    }
  }, 60_000);

  it('reports a job a worker cannot run instead of hanging', async () => {
    const pool = new SeedPool(2);
    try {
      await expect(pool.run({ kind: 'nope', n: 10, loss: 0, seed: 1, scale: 1, arg: 0 })).rejects.toThrow(/Unknown gossip bench job kind/);
    } finally {
      pool.close();
    }
  }, 60_000);
});
