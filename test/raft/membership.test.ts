import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../src/errors.js';
import { NodeCluster, enc } from './node-cluster.js';

async function writeN(c: NodeCluster, n: number, prefix: string): Promise<void> {
  const l = await c.waitForLeader();
  for (let i = 0; i < n; i++) expect((await c.settle(l.propose(enc(`${prefix}${i}`)))).ok).toBe(true);
}

describe('membership changes (joint consensus, learners)', () => {
  it('adds a learner that catches up, never votes or counts, then promotes it', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    await writeN(c, 10, 'v');
    const d = await c.addNode('d');
    const l = await c.waitForLeader();
    const added = await c.settle(l.addLearner('d', 'memory://d', { waitForCatchUp: true }));
    expect(added.ok).toBe(true);
    expect(l.membership().learners).toEqual(['d']);
    await c.run(300);
    expect(c.machines.get('d')!.applied.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
    expect(d.status().role).toBe('follower');
    // A learner never counts for commit: with two voters down, nothing commits.
    const others = ['a', 'b', 'c'].filter((x) => x !== l.id);
    for (const o of others) c.net.isolate(o);
    const blocked = await c.settle(l.propose(enc('blocked')), 1000);
    expect(blocked.ok).toBe(false);
    c.net.heal();
    await c.run(1000);
    const l2 = await c.waitForLeader();
    const promoted = await c.settle(l2.promote('d'));
    expect(promoted.ok).toBe(true);
    await c.run(200);
    for (const id of c.allIds()) expect([...c.node(id).membership().voters].sort()).toEqual(['a', 'b', 'c', 'd']);
    await c.stopAll();
  });

  it('replaces voters in one step through a joint configuration, and demotes a voter', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    await writeN(c, 3, 'x');
    await c.addNode('d');
    let l = await c.waitForLeader();
    const victim = ['a', 'b', 'c'].find((x) => x !== l.id)!;
    const seen: string[][] = [];
    l.on('membershipChange', (cfg) => seen.push([...cfg.outgoing]));
    const r = await c.settle(l.changeMembership({ addVoters: ['d'], removeVoters: [victim] }));
    expect(r.ok).toBe(true);
    expect(seen.some((o) => o.length > 0)).toBe(true); // passed through a joint configuration
    expect(l.membership().outgoing).toEqual([]);
    expect([...l.membership().voters].sort()).toEqual(['a', 'b', 'c', 'd'].filter((x) => x !== victim).sort());
    await writeN(c, 3, 'y');
    l = await c.waitForLeader();
    const other = l.membership().voters.find((x) => x !== l.id)!;
    expect((await c.settle(l.demote(other))).ok).toBe(true);
    expect(l.membership().learners).toContain(other);
    expect(l.membership().voters).not.toContain(other);
    await c.stopAll();
  });

  it('allows one change at a time, refuses reused ids, and refuses a change with no reachable quorum unless forced', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    await writeN(c, 1, 'z');
    const l = await c.waitForLeader();
    const first = l.addLearner('x');
    const second = await c.settle(l.addLearner('y'));
    expect(second.ok).toBe(false);
    if (!second.ok) expect(isQuorumkitError(second.error, 'CONFIG_CHANGE_IN_PROGRESS')).toBe(true);
    expect((await c.settle(first)).ok).toBe(true);
    expect((await c.settle(l.removeServer('x'))).ok).toBe(true);
    const reuse = await c.settle(l.addLearner('x'));
    expect(!reuse.ok && isQuorumkitError(reuse.error, 'INVALID_INPUT')).toBe(true);
    // Voters {leader, ghost1, ghost2}: the ghosts never answer, so no quorum would be reachable.
    const ghosts = await c.settle(l.changeMembership({ addVoters: ['g1', 'g2', 'g3'] }));
    expect(!ghosts.ok && isQuorumkitError(ghosts.error, 'NO_QUORUM')).toBe(true);
    await c.stopAll();
  });

  it('removing the leader: it leads until the change commits, then steps down and a remaining voter leads', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    await writeN(c, 2, 'w');
    const old = await c.waitForLeader();
    const r = await c.settle(old.removeServer(old.id));
    expect(r.ok).toBe(true);
    await c.run(1000);
    expect(old.isLeader).toBe(false);
    const rest = ['a', 'b', 'c'].filter((x) => x !== old.id);
    const next = await c.waitForLeader(3000, rest);
    expect(rest).toContain(next.id);
    expect((await c.settle(next.propose(enc('after')))).ok).toBe(true);
    await c.run(500);
    expect(old.status().removed).toBe(true); // it applied the change that removed it
    // The removed node stays quiet: its term does not run away and the leader keeps leading.
    const term = next.status().term;
    await c.run(3000);
    expect(next.isLeader).toBe(true);
    expect(next.status().term).toBe(term);
    await c.stopAll();
  });

  it('configurations persist with the log and are restored on restart', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    await writeN(c, 1, 'p');
    await c.addNode('d');
    const l = await c.waitForLeader();
    expect((await c.settle(l.addLearner('d'))).ok).toBe(true);
    await c.run(300);
    for (const id of ['a', 'b', 'c']) {
      const n = await c.restart(id);
      await c.run(500);
      expect(n.status().learners).toEqual(['d']);
    }
    await c.stopAll();
  });
});

describe('leadership transfer', () => {
  it('hands leadership to a chosen voter quickly, and to the most up-to-date one without a target', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    await writeN(c, 5, 't');
    const l = await c.waitForLeader();
    const target = ['a', 'b', 'c'].find((x) => x !== l.id)!;
    const t0 = c.loop.now;
    const r = await c.settle(l.transferLeadership(target));
    expect(r).toEqual({ ok: true, value: target });
    expect(c.loop.now - t0).toBeLessThan(50);
    const l2 = c.node(target);
    await c.run(100);
    expect(l2.isLeader).toBe(true);
    const r2 = await c.settle(l2.transferLeadership());
    expect(r2.ok).toBe(true);
    if (r2.ok) expect(r2.value).not.toBe(target);
    await c.stopAll();
  });

  it('refuses unknown or learner targets, rejects proposals during a transfer, and times out keeping leadership', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    await writeN(c, 2, 'q');
    await c.addNode('L');
    const l = await c.waitForLeader();
    expect((await c.settle(l.addLearner('L'))).ok).toBe(true);
    const unknown = await c.settle(l.transferLeadership('nobody'));
    expect(!unknown.ok && isQuorumkitError(unknown.error, 'INVALID_INPUT')).toBe(true);
    const learner = await c.settle(l.transferLeadership('L'));
    expect(!learner.ok && isQuorumkitError(learner.error, 'INVALID_INPUT')).toBe(true);
    const target = ['a', 'b', 'c'].find((x) => x !== l.id)!;
    c.net.isolate(target);
    await writeN(c, 2, 'behind'); // the target lags, so the transfer must wait for it
    const transfer = c.settle(l.transferLeadership(target));
    const during = await c.settle(l.propose(enc('during')));
    expect(!during.ok && isQuorumkitError(during.error, 'PROPOSAL_DROPPED')).toBe(true);
    const r = await transfer;
    expect(!r.ok && isQuorumkitError(r.error, 'TIMEOUT')).toBe(true);
    expect(l.isLeader).toBe(true);
    expect((await c.settle(l.propose(enc('after')))).ok).toBe(true);
    await c.stopAll();
  });
});
