import { describe, expect, it } from 'vitest';
import { retransmitBudget } from '../../src/gossip/broadcast-queue.js';
import { joinSpread, userBroadcast } from '../../src/gossip/sim-scenarios.js';
import { createPrng } from '../../src/util/prng.js';

/**
 * The exact dissemination process the budget is derived for: every member
 * that knows the update sends it `budget` times in rounds of `fanout`
 * distinct random others, each send lost with probability `loss`. Returns
 * whether everyone got it.
 */
function spread(n: number, budget: number, loss: number, fanout: number, rng: ReturnType<typeof createPrng>): boolean {
  const has = new Uint8Array(n);
  const left = new Int32Array(n);
  has[0] = 1;
  left[0] = budget;
  let active = true;
  while (active) {
    active = false;
    const fresh: number[] = [];
    for (let i = 0; i < n; i++) {
      if (has[i] === 0 || left[i]! <= 0) continue;
      active = true;
      const k = Math.min(fanout, left[i]!, n - 1);
      const picked = new Set<number>();
      while (picked.size < k) {
        let t = rng.int(n - 1);
        if (t >= i) t++;
        picked.add(t);
      }
      left[i] = left[i]! - k;
      for (const t of picked) if (rng.next() >= loss && has[t] === 0) fresh.push(t);
    }
    for (const t of fresh) if (has[t] === 0) {
      has[t] = 1;
      left[t] = budget;
    }
  }
  return has.every((v) => v === 1);
}

function missRate(n: number, budget: number, runs: number, seed: number): number {
  const rng = createPrng(seed);
  let miss = 0;
  for (let r = 0; r < runs; r++) if (!spread(n, budget, 0.2, 3, rng)) miss++;
  return miss / runs;
}

describe('retransmit budget reaches everyone with p ≥ 0.9999 at 20% loss, without anti-entropy', () => {
  it('in the model process, at small N where die-out matters most', () => {
    for (const n of [2, 3, 5, 9]) {
      const R = retransmitBudget(n, 0.2, 0.9999);
      // 40,000 runs: at a true miss rate of 1e-4 we expect 4 misses; 12 or more would be p < 0.001.
      expect(missRate(n, R, 40_000, n)).toBeLessThan(12 / 40_000);
    }
  });

  it("while memberlist's 4·⌈log10(N+1)⌉ misses someone far more often at N = 9", () => {
    const memberlist = 4 * Math.ceil(Math.log10(10));
    expect(missRate(9, memberlist, 5000, 99)).toBeGreaterThan(0.02);
  });

  it('in the full protocol: a join reaches every member at 20% loss with push-pull off', () => {
    let runs = 0;
    for (const n of [2, 3, 5, 9, 20]) {
      for (let seed = 1; seed <= 40; seed++) {
        const r = joinSpread({ n, loss: 0.2, seed: `budget-${n}-${seed}`, member: { pushPullIntervalMs: 0 } }, 20_000);
        expect(r.reachedAll, `n=${n} seed=${seed}`).toBe(true);
        runs++;
      }
    }
    expect(runs).toBe(200);
  });

  it('in the full protocol: a user broadcast reaches every member at 20% loss with push-pull off', () => {
    for (const n of [2, 5, 9]) {
      for (let seed = 1; seed <= 30; seed++) {
        const r = userBroadcast({ n, loss: 0.2, seed: `ub-${n}-${seed}`, member: { pushPullIntervalMs: 0 } }, 100, 20_000);
        expect(r.delivered, `n=${n} seed=${seed}`).toBe(1);
      }
    }
  });
});
