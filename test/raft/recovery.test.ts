import { describe, expect, it } from 'vitest';
import { NodeCluster, enc } from './node-cluster.js';

describe('recovery from a lost quorum: forceNewCluster', () => {
  it('loses 3 of 5 managers for good, recovers on the survivor keeping every entry it had, and old members cannot disturb it', async () => {
    const ids = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const c = new NodeCluster(ids, {}, 3);
    await c.start();
    const l = await c.waitForLeader();
    for (let i = 0; i < 10; i++) expect((await c.settle(l.propose(enc(`w${i}`)))).ok).toBe(true);
    await c.run(300);
    const survivor = ids.find((x) => x !== l.id)!;
    const lost = ids.filter((x) => x !== survivor).slice(0, 3);
    for (const id of lost) await c.node(id).stop();
    const lastBefore = c.node(survivor).status().lastLogIndex;
    // Without a quorum nothing commits.
    const leftover = ids.filter((x) => x !== survivor && !lost.includes(x));
    await c.run(1000);
    const stuck = c.leaders().filter((n) => n.id === survivor || leftover.includes(n.id));
    if (stuck.length > 0) expect((await c.settle(stuck[0]!.propose(enc('nope')), 800)).ok).toBe(false);
    // Recover: restart the survivor with forceNewCluster.
    await c.node(survivor).stop();
    const s = await c.restart(survivor, { forceNewCluster: true });
    const leader = await c.waitForLeader(3000, [survivor]);
    expect(leader.id).toBe(survivor);
    expect(s.status().lastLogIndex).toBeGreaterThan(lastBefore);
    expect(c.machines.get(survivor)!.applied.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `w${i}`));
    expect(s.membership().voters).toEqual([survivor]);
    expect(s.membership().epoch).toBe(1);
    const after = await c.settle(s.propose(enc('after')));
    expect(after).toEqual({ ok: true, value: expect.any(Number) });
    // The other old member still running, with its old state, is ignored; the new cluster's term stays.
    const term = s.status().term;
    await c.run(2000);
    expect(s.isLeader).toBe(true);
    expect(s.status().term).toBe(term);
    // New members join anew, with new ids.
    await c.addNode('m6');
    expect((await c.settle(s.addLearner('m6', undefined, { waitForCatchUp: true }))).ok).toBe(true);
    expect((await c.settle(s.promote('m6'))).ok).toBe(true);
    await c.run(500);
    expect(c.machines.get('m6')!.applied).toContain('after');
    expect(c.node('m6').membership().epoch).toBe(1);
    await c.stopAll();
  });
});
