import { describe, expect, it } from 'vitest';
import { GossipSim } from '../../src/gossip/testing.js';

describe('gossip invariants under faults', () => {
  it('a crashed member, once dead everywhere, stays dead: no incarnation told privately brings it back', () => {
    // Seed where the crashed member had answered an accuser shortly before: with a private new
    // incarnation, anti-entropy later carried it to members holding it dead, which revived it.
    const sim = new GossipSim({ seed: '100-0.2-24', loss: 0.2 });
    const ids = sim.addMany(100, 'n');
    sim.run(2000);
    let returns = 0;
    sim.onEvent((_m, ev) => {
      if ((ev.type === 'join' || ev.type === 'alive') && ev.member.id === 'n1') returns++;
    });
    sim.crash('n1');
    expect(sim.runUntil(() => sim.countSeeing('n1', 3) === ids.length - 1, 20_000, 50)).toBe(true);
    sim.run(40_000);
    expect(sim.countSeeing('n1', 3)).toBe(ids.length - 1);
    expect(returns).toBe(0);
  });

  it('a suspect that is dead everywhere else at an older incarnation is declared dead, not held suspect for ever', () => {
    // n5 crashes and is declared dead (incarnation 1) by everyone; then n0 alone learns, by
    // anti-entropy, that n5 is alive at 2 (it had restarted and crashed again). n0's own probe then
    // suspects n5 at 2, and nobody can confirm: the others hold it dead at 1 and ignore the news.
    const sim = new GossipSim({ seed: 21 });
    const ids = sim.addMany(6, 'n');
    sim.run(2000);
    sim.crash('n5');
    expect(sim.runUntil(() => sim.countSeeing('n5', 3) === 5, 30_000)).toBe(true);
    // n0 sends nothing until its own probe suspects n5, so the news of incarnation 2 goes no further.
    sim.get('n0').egressLoss = 1;
    sim.act('n0', (core, now) => core.receive('n1', [
      { t: 'syncResp', epoch: 1, seq: 1, lo: 0, hi: 1 }, { t: 'alive', id: 'n5', inc: 2, addr: 'n5', meta: new Uint8Array(0) },
    ], now));
    expect(sim.get('n0').core.stateOf('n5')).toBe(1);
    expect(sim.runUntil(() => sim.get('n0').core.stateOf('n5') === 2, 30_000)).toBe(true);
    sim.get('n0').egressLoss = 0;
    expect(sim.countSeeing('n5', 3)).toBe(ids.length - 2);
    expect(sim.runUntil(() => sim.countSeeing('n5', 3) === ids.length - 1, 120_000)).toBe(true);
    expect(sim.converged()).toBe(true);
    expect(sim.get('n0').core.member('n5')!.incarnation).toBe(2);
  });

  it('incarnations are monotonic: a member\'s own, and every view of every member', () => {
    const sim = new GossipSim({ seed: 11, loss: 0.1, maxDelayMs: 30 });
    const ids = sim.addMany(30);
    const own = new Map<string, number>();
    const view = new Map<string, number>();
    const violations: string[] = [];
    sim.onEvent((m, ev) => {
      if (ev.type === 'incarnation') {
        if (ev.incarnation < (own.get(m) ?? 0)) violations.push(`${m} own ${ev.incarnation}`);
        own.set(m, ev.incarnation);
      } else if ('member' in ev) {
        const key = `${m}>${ev.member.id}`;
        if (ev.member.incarnation < (view.get(key) ?? 0)) violations.push(`${key} ${ev.member.incarnation}`);
        view.set(key, ev.member.incarnation);
      }
    });
    sim.run(5000);
    sim.crash('n3');
    sim.crash('n4');
    sim.fabric.partition([ids.slice(0, 10), ids.slice(10)]);
    sim.run(20_000);
    sim.restart('n3', ['n0']);
    sim.fabric.heal();
    sim.run(30_000);
    sim.restart('n4', ['n20']);
    sim.run(30_000);
    expect(violations).toEqual([]);
    expect(own.get('n3')).toBeGreaterThan(1); // restarted above its persisted incarnation
    expect(sim.converged()).toBe(true); // views converge after heal
  });

  it('a reachable, unpaused member is never declared dead in a fault-free window (5% loss)', () => {
    const sim = new GossipSim({ seed: 12, loss: 0.05 });
    sim.addMany(50);
    const bad: string[] = [];
    sim.onEvent((m, ev, now) => (ev.type === 'dead' || ev.type === 'leave') && bad.push(`${now} ${m} ${ev.type} ${ev.member.id}`));
    sim.run(300_000);
    expect(bad).toEqual([]);
    expect(sim.converged()).toBe(true);
  });

  it('a member that returns with a new address under the same id is accepted at a higher incarnation', () => {
    const sim = new GossipSim({ seed: 13 });
    sim.addMany(10);
    sim.crash('n5');
    sim.run(30_000);
    expect(sim.countSeeing('n5', 3)).toBe(9);
    // Same id, new endpoint "n5b": the fabric routes by address.
    const m = sim.get('n5');
    sim.fabric.attach('n5b', (from, p) => m.up && sim.act('n5', (core, now) => core.receive(p.from, p.msgs, now, from)));
    sim.restart('n5', ['n0'], { address: 'n5b' });
    sim.fabric.detach('n5');
    sim.run(10_000);
    expect(sim.countSeeing('n5', 1)).toBe(9);
    expect(sim.get('n1').core.member('n5')!.address).toBe('n5b');
  });
});
