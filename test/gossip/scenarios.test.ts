/**
 * The nine bench scenarios at small N, fixed seeds, with assertions on the
 * issue's aims (the bench runs them at 100 to 10,000 members).
 */
import { describe, expect, it } from 'vitest';
import * as S from '../../src/gossip/sim-scenarios.js';

const seeds = (k: number) => Array.from({ length: k }, (_, i) => i + 1);

describe('gossip scenarios (small N, fixed seeds)', () => {
  it('1. a join reaches all 100 members within 2.4 s at 20% loss, without anti-entropy', () => {
    for (const seed of seeds(20)) {
      const r = S.joinSpread({ n: 100, loss: 0.2, seed, member: { pushPullIntervalMs: 0 } });
      expect(r.reachedAll).toBe(true);
      expect(r.t100).toBeLessThanOrEqual(2400);
      expect(r.t99).toBeLessThanOrEqual(r.t100);
    }
  });

  it('2. a user broadcast reaches everyone; a 200/s update burst is fully delivered', () => {
    const b = S.userBroadcast({ n: 100, loss: 0.05, seed: 1 }, 2000);
    expect(b.delivered).toBe(1);
    // 200 updates/s is more than the packets of gossip rounds carry (each is sent R times by
    // everyone): gossip delivers almost all within 15 s, anti-entropy (every 30 s) the rest.
    const u = S.updateBurst({ n: 50, loss: 0.05, seed: 1 }, 200, 3000);
    expect(u.delivered).toBeGreaterThan(0.999);
    expect(S.percentile(u.staleness, 0.5)).toBeLessThan(1500);
    expect(S.updateBurst({ n: 50, loss: 0.05, seed: 1 }, 200, 3000, 200, 35_000).delivered).toBe(1);
  });

  it('3. a crash is suspected at p50 ≤ 1.6 s and agreed dead at p50 ≤ 5 s (aim 8 s), p99 ≤ 2 × p50, at 20% loss', () => {
    const first: number[] = [];
    const dead: number[] = [];
    for (const seed of seeds(24)) {
      const r = S.crash({ n: 100, loss: 0.2, seed });
      first.push(r.firstSuspect);
      dead.push(r.allDead);
    }
    expect(dead.every((d) => d > 0)).toBe(true);
    expect(S.percentile(first, 0.5)).toBeLessThanOrEqual(1600);
    // Checks by a few hearers bring k confirmations before the minimum timeout (2 s at N = 100) runs out.
    expect(S.percentile(dead, 0.5)).toBeLessThanOrEqual(5000);
    expect(S.percentile(dead, 0.99)).toBeLessThanOrEqual(2 * S.percentile(dead, 0.5));
    for (const seed of seeds(4)) {
      const many = S.crash({ n: 200, loss: 0.2, seed }, 2);
      expect(many.allDead).toBeGreaterThan(0);
      expect(many.allDead).toBeLessThanOrEqual(8000);
    }
  });

  it('4. 10% slow members for 5 minutes: no healthy member is declared dead or even suspected', () => {
    const r = S.slowMembers({ n: 50, loss: 0, seed: 1 }, 0.1, 300_000);
    expect(r.falsePositives).toBe(0);
    expect(r.flaps).toBe(0);
    expect(r.slowDeclaredDead).toBeGreaterThan(0); // the pauses were real
  });

  it('5. lossy members never get a healthy member declared dead', () => {
    const ingress = S.lossyMembers({ n: 100, loss: 0, seed: 1 }, 'ingress', 60_000);
    expect(ingress.falsePositives).toBe(0);
    const oneway = S.lossyMembers({ n: 100, loss: 0, seed: 2 }, 'oneway', 80_000);
    expect(oneway.falsePositives).toBe(0);
    // Removed in each 20 s silent phase and back in each audible one: about one return per cycle, not flapping.
    expect(oneway.oscillations).toBeGreaterThan(0);
    expect(oneway.oscillations).toBeLessThanOrEqual(2.5);
  });

  it('6. half the members restart within 10 s: none stays stuck dead', () => {
    for (const seed of seeds(3)) expect(S.massRestart({ n: 50, loss: 0.05, seed }).stuckDead).toBe(0);
  });

  it('7. a 50/50 partition of 5 minutes heals by itself within 2 anti-entropy periods', () => {
    const r = S.partitionHeal({ n: 40, loss: 0.05, seed: 1 }, 300_000);
    expect(r.healMs).toBeGreaterThanOrEqual(0);
    expect(r.healMs).toBeLessThanOrEqual(60_000);
  });

  it('7. at 20% loss too, well within one anti-entropy period: stale death rows come back as suspicions', () => {
    for (const seed of seeds(4)) {
      const r = S.partitionHeal({ n: 100, loss: 0.2, seed }, 300_000);
      expect(r.healMs).toBeGreaterThanOrEqual(0);
      expect(r.healMs).toBeLessThanOrEqual(20_000);
    }
  });

  it('8. steady state at N = 100 costs well under 640 B/s a member', () => {
    const r = S.traffic({ n: 100, loss: 0, seed: 1 }, 30_000);
    const mean = r.bytesPerSec.reduce((a, b) => a + b, 0) / r.bytesPerSec.length;
    expect(mean).toBeGreaterThan(0);
    expect(mean).toBeLessThanOrEqual(640);
    const churn = S.traffic({ n: 100, loss: 0, seed: 1 }, 30_000, 2000);
    expect(Math.max(...churn.bytesPerSec)).toBeGreaterThan(Math.max(...r.bytesPerSec));
  });

  it('9. 200 members bootstrapping from one seed within 10 s all see 200 within 5 s of the last start', () => {
    const r = S.bootstrap({ n: 200, loss: 0.05, seed: 1 });
    expect(r.allSeeAll).toBeGreaterThanOrEqual(0);
    expect(r.allSeeAll).toBeLessThanOrEqual(5000);
  });
});
