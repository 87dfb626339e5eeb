import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../src/errors.js';
import { NodeCluster, enc } from './node-cluster.js';

describe('RaftNode on MemoryNetwork, virtual time', () => {
  it('a single-node cluster elects itself and commits', async () => {
    const c = new NodeCluster(['a']);
    await c.start();
    const l = await c.waitForLeader();
    const r = await c.settle(l.propose(enc('hello')));
    expect(r).toEqual({ ok: true, value: 2 }); // index 1 is the leader's blank entry
    expect(c.machines.get('a')!.applied).toEqual(['hello']);
    await c.stopAll();
  });

  for (const n of [3, 5]) {
    it(`${n} nodes elect exactly one leader per term`, async () => {
      const ids = Array.from({ length: n }, (_, i) => `n${i}`);
      const c = new NodeCluster(ids, {}, n);
      const leadersByTerm = new Map<number, Set<string>>();
      for (const node of c.nodes.values()) {
        node.on('roleChange', (role, term) => {
          if (role !== 'leader') return;
          const s = leadersByTerm.get(term) ?? new Set();
          s.add(node.id);
          leadersByTerm.set(term, s);
        });
      }
      await c.start();
      await c.waitForLeader();
      // Churn: isolate whoever leads, a few times.
      for (let i = 0; i < 4; i++) {
        const l = await c.waitForLeader();
        c.net.isolate(l.id);
        await c.run(1000);
        c.net.heal();
        await c.run(500);
      }
      expect(leadersByTerm.size).toBeGreaterThanOrEqual(3);
      for (const s of leadersByTerm.values()) expect(s.size).toBe(1);
      await c.stopAll();
    });
  }

  it('an isolated leader steps down within 2 ET, its proposals fail, the majority moves on, and its uncommitted entries are discarded', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    const old = await c.waitForLeader();
    await c.settle(old.propose(enc('before')));
    c.net.isolate(old.id);
    const stale = c.settle(old.propose(enc('lost')));
    const t0 = c.loop.now;
    const stepped = await c.loop.runUntilTrueAsync(() => !old.isLeader, 10_000);
    expect(stepped).toBe(true);
    expect(c.loop.now - t0).toBeLessThanOrEqual(2 * 150 + 10);
    const r = await stale;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(isQuorumkitError(r.error, 'LEADERSHIP_LOST') || isQuorumkitError(r.error, 'TIMEOUT')).toBe(true);
    const others = c.ids.filter((id) => id !== old.id);
    const fresh = await c.waitForLeader(5000, others);
    expect((await c.settle(fresh.propose(enc('after')))).ok).toBe(true);
    c.net.heal();
    await c.run(1000);
    for (const id of c.ids) {
      expect(c.machines.get(id)!.applied).toEqual(['before', 'after']);
      expect(c.storages.get(id)!.entries.some((e) => new TextDecoder().decode(e.data) === 'lost')).toBe(false);
    }
    await c.stopAll();
  });

  it('a follower partitioned for 10 ET rejoins without raising the term (PreVote)', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    const l = await c.waitForLeader();
    const term = l.status().term;
    const f = c.ids.find((id) => id !== l.id)!;
    c.net.isolate(f);
    await c.run(10 * 300);
    expect(c.node(f).status().term).toBe(term);
    c.net.heal();
    await c.run(1000);
    expect(l.isLeader).toBe(true);
    expect(l.status().term).toBe(term);
    await c.stopAll();
  });

  it('crash and restart of any node keeps term, vote, log and applied entries', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    const l = await c.waitForLeader();
    for (let i = 0; i < 20; i++) await c.settle(l.propose(enc(`v${i}`)));
    await c.run(200);
    for (const id of c.ids) {
      const before = c.node(id).status();
      const n = await c.restart(id);
      const after = n.status();
      expect(after.term).toBe(before.term);
      expect(after.vote).toBe(before.vote);
      expect(after.lastLogIndex).toBe(before.lastLogIndex);
      await c.run(500);
      expect(c.machines.get(id)!.applied).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    }
    await c.stopAll();
  });

  it('1,000 proposals through a churn of partitions apply in the same order on every node', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const c = new NodeCluster(ids, {}, 7);
    await c.start();
    const acked: string[] = [];
    let next = 0;
    for (let round = 0; round < 20; round++) {
      // A random-ish partition each round, then proposals to whoever leads.
      if (round % 3 === 1) c.net.isolate(ids[round % 5]!);
      if (round % 3 === 2) c.net.partition(['a', 'b'], ['c', 'd', 'e']);
      if (round % 3 === 0) c.net.heal();
      const leader = await c.waitForLeader(5000).catch(() => null);
      if (leader === null) continue;
      const batch = Array.from({ length: 50 }, () => `p${next++}`);
      const results = await Promise.all(batch.map((v) => c.settle(leader.propose(enc(v)), 5000)));
      results.forEach((r, i) => r.ok && acked.push(batch[i]!));
    }
    c.net.heal();
    await c.run(3000);
    const reference = c.machines.get('a')!.applied;
    for (const id of ids) expect(c.machines.get(id)!.applied).toEqual(reference);
    for (const v of acked) expect(reference).toContain(v);
    expect(new Set(reference).size).toBe(reference.length);
    expect(next).toBe(1000);
    expect(acked.length).toBeGreaterThan(500);
    await c.stopAll();
  });

  it('linearizable reads on leader and followers see every acknowledged write', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    const l = await c.waitForLeader();
    await c.settle(l.propose(enc('w1')));
    for (const id of c.ids) {
      const r = await c.settle(c.node(id).linearizableRead((sm) => [...(sm as unknown as { applied: string[] }).applied]));
      expect(r).toEqual({ ok: true, value: ['w1'] });
    }
    await c.stopAll();
  });

  it('stop() rejects pending proposals with StoppedError and is idempotent', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    const l = await c.waitForLeader();
    c.net.isolate(l.id);
    const p = l.propose(enc('x'));
    const s1 = l.stop();
    const s2 = l.stop();
    expect(s1).toBe(s2);
    await expect(p).rejects.toSatisfy((e: unknown) => isQuorumkitError(e, 'STOPPED'));
    await c.stopAll();
  });
});
