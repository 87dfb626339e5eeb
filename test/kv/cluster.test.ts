import { describe, expect, it } from 'vitest';
import { isQuorumkitError, LeadershipLostError } from '../../src/errors.js';
import { KvClient } from '../../src/kv/client.js';
import { KvCluster } from './kv-cluster.js';
import { s } from './helpers.js';

const ids3 = ['a', 'b', 'c'];
const ids5 = ['m1', 'm2', 'm3', 'm4', 'm5'];

async function started(ids: string[]): Promise<KvCluster> {
  const c = new KvCluster(ids);
  await c.start();
  await c.waitForLeader();
  return c;
}

const follower = (c: KvCluster) => c.ids.find((id) => !c.node(id).isLeader)!;

describe('KvClient on a 3-node cluster', () => {
  it('writes through a follower; linearizable reads on every node see them; every replica has the same revision', async () => {
    const c = await started(ids3);
    const f = follower(c);
    const put = await c.must(c.client(f).put('x', 'one'));
    await c.must(c.client(f).put('x', 'two'));
    for (const id of ids3) {
      const kv = await c.must(c.client(id).get('x'));
      expect(s(kv?.value)).toBe('two');
      expect(kv?.createRevision).toBe(put.revision);
    }
    await c.converge();
    expect(new Set(ids3.map((id) => c.sm(id).revision)).size).toBe(1);
    await c.stopAll();
  });

  it('txn, compareAndSet and range go through the log with their results', async () => {
    const c = await started(ids3);
    const k = c.client(follower(c));
    await c.must(k.put('jobs/1', 'a'));
    await c.must(k.put('jobs/2', 'b'));
    const cas = await c.settle(k.compareAndSet('jobs/1', 'version', 7, 'z'));
    expect(!cas.ok && isQuorumkitError(cas.error, 'PRECONDITION_FAILED') && cas.error.definite).toBe(true);
    await c.must(k.compareAndSet('jobs/1', 'value', 'a', 'c'));
    const t = await c.must(k.txn({ compare: [{ key: 'jobs/3', target: 'createRevision', op: '=', value: 0 }], success: [{ type: 'put', key: 'jobs/3', value: new Uint8Array([1]) }], failure: [] }));
    expect(t.succeeded).toBe(true);
    const r = await c.must(k.range({ key: 'jobs/', prefix: true }, { limit: 2 }));
    expect(r.kvs.map((kv) => kv.key)).toEqual(['jobs/1', 'jobs/2']);
    expect(r.more).toBe(true);
    await c.stopAll();
  });

  it('rejects bad input before proposing (definite InvalidInputError)', async () => {
    const c = await started(ids3);
    const k = c.client('a');
    const before = c.node('a').status().lastLogIndex;
    const calls: (() => Promise<unknown>)[] = [
      () => k.put('x'.repeat(2000), 'v'),
      () => k.put('k', new Uint8Array(2 * 1024 * 1024)),
      () => k.put('\u0000m/x', 'v'),
      () => k.put(42 as never, 'v'),
      () => k.get(null as never),
      () => k.txn({ compare: [], success: [{ type: 'put', key: 'a', value: new Uint8Array() }, { type: 'delete', key: 'a' }], failure: [] }),
      () => k.range({ key: 'a', prefix: true, end: 'b' }),
    ];
    for (const call of calls) {
      const r = await c.settle(call());
      expect(!r.ok && isQuorumkitError(r.error, 'INVALID_INPUT') && r.error.definite).toBe(true);
    }
    expect(c.node('a').status().lastLogIndex).toBe(before);
    await c.stopAll();
  });

  it('leases expire by the leader\'s decision: every replica deletes the key at the same revision', async () => {
    const c = await started(ids3);
    const k = c.client(follower(c));
    const lease = await c.must(k.grantLease(500));
    await c.must(k.put('svc/a', 'up', { lease: lease.id }));
    await c.run(300);
    await c.must(k.keepAlive(lease.id));
    await c.run(400);
    expect(s((await c.must(k.get('svc/a')))?.value)).toBe('up');
    await c.run(600);
    expect(await c.must(k.get('svc/a'))).toBeNull();
    await c.converge();
    const revs = ids3.map((id) => c.sm(id).range({ key: 'svc/', prefix: true }).revision);
    expect(new Set(revs).size).toBe(1);
    expect(ids3.every((id) => c.sm(id).counts.leases === 0)).toBe(true);
    await c.stopAll();
  });

  it('a new leader gives every lease its whole TTL from its takeover: keep-alives had nowhere to go during the election', async () => {
    const c = await started(ids3);
    const f = follower(c);
    const k = c.client(f);
    const lease = await c.must(k.grantLease(1000));
    await c.must(k.put('svc/b', 'up', { lease: lease.id }));
    await c.run(100);
    await c.must(k.keepAlive(lease.id));
    const keptAt = c.clock.now();
    await c.run(700);
    const old = [...c.nodes.values()].find((n) => n.isLeader)!;
    await c.stop(old.id);
    await c.loop.runUntilTrueAsync(() => [...c.nodes.values()].some((n) => n !== old && n.isLeader), 5000);
    // Past the lease's replicated expiry, which the new leader took over after.
    await c.loop.runUntilTrueAsync(() => c.clock.now() >= keptAt + 1300, 5000);
    expect(s((await c.must(k.get('svc/b')))?.value)).toBe('up');
    await c.must(k.keepAlive(lease.id));
    await c.run(800);
    expect(s((await c.must(k.get('svc/b')))?.value)).toBe('up');
    // Left alone, it still goes.
    await c.run(1500);
    expect(await c.must(k.get('svc/b'))).toBeNull();
    await c.stopAll();
  });

  it('a watch on a follower sees every write in order, resumes from a revision, and reports compaction', async () => {
    const c = await started(ids3);
    const f = follower(c);
    const k = c.client(f);
    const first = await c.must(k.put('w/0', '0'));
    const it = k.watch({ key: 'w/', prefix: true }, { fromRevision: first.revision })[Symbol.asyncIterator]();
    for (let i = 1; i < 5; i++) await c.must(k.put(`w/${i}`, String(i)));
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push((await c.must(it.next())).value.key);
    expect(seen).toEqual(['w/0', 'w/1', 'w/2', 'w/3', 'w/4']);
    await it.return?.();
    const last = c.sm(f).revision;
    await c.must(k.compact(last));
    const late = await c.settle(k.watch({ key: 'w/', prefix: true }, { fromRevision: first.revision }).next());
    expect(!late.ok && isQuorumkitError(late.error, 'COMPACTED')).toBe(true);
    await c.stopAll();
  });
});

describe('KvClient without a majority', () => {
  it('3 nodes: losing one keeps working; losing two fails fast with NoQuorumError; stale reads answer', async () => {
    const c = await started(ids3);
    const leader = c.ids.find((id) => c.node(id).isLeader)!;
    const [x, y] = c.ids.filter((id) => id !== leader) as [string, string];
    await c.must(c.client(x).put('k', 'v1'));
    await c.stop(leader);
    await c.must(c.client(x).put('k', 'v2'));
    expect(s((await c.must(c.client(y).get('k')))?.value)).toBe('v2');
    await c.stop(y);
    const w = await c.settle(c.client(x).put('k', 'v3'));
    expect(!w.ok && isQuorumkitError(w.error, 'NO_QUORUM')).toBe(true);
    expect(w.ms).toBeLessThan(1500);
    const r = await c.settle(c.client(x).get('k'));
    expect(!r.ok && isQuorumkitError(r.error, 'NO_QUORUM')).toBe(true);
    expect(r.ms).toBeLessThan(1500);
    // Nothing half-applied; the stale read answers from the local copy.
    expect(s((await c.must(c.client(x).get('k', { consistency: 'stale' })))?.value)).toBe('v2');
    await c.stopAll();
  });

  it('5 nodes: a partitioned leader on the minority side fails fast; the majority elects and keeps writing', async () => {
    const c = await started(ids5);
    const old = c.ids.find((id) => c.node(id).isLeader)!;
    const others = c.ids.filter((id) => id !== old);
    const minority = [old, others[0]!];
    const majority = others.slice(1);
    c.net.partition(minority, majority);
    const w = await c.settle(c.client(old).put('p', 'lost?'));
    expect(!w.ok && isQuorumkitError(w.error, 'NO_QUORUM')).toBe(true);
    expect(w.ms).toBeLessThan(2000);
    const ok = await c.settle(c.client(majority[0]!).put('p', 'majority'));
    expect(ok.ok).toBe(true);
    const lin = await c.settle(c.client(minority[1]!).get('p'));
    expect(!lin.ok && isQuorumkitError(lin.error, 'NO_QUORUM')).toBe(true);
    c.net.heal();
    await c.run(1000);
    expect(s((await c.must(c.client(old).get('p')))?.value)).toBe('majority');
    await c.stopAll();
  });
});

describe('KvStateMachine snapshots inside Raft', () => {
  it('a node that missed compacted entries is caught up by InstallSnapshot with the whole KV state', async () => {
    const c = new KvCluster(ids3, [], 7, { snapshotThresholdEntries: 40, snapshotTrailingEntries: 5 });
    await c.start();
    const leader = await c.waitForLeader();
    const lagger = c.ids.find((id) => id !== leader.id)!;
    const k = c.client(leader.id);
    const lease = await c.must(k.grantLease(60_000));
    await c.stop(lagger);
    for (let i = 0; i < 120; i++) await c.must(k.put(`s/${String(i).padStart(3, '0')}`, `v${i}`, i % 10 === 0 ? { lease: lease.id } : {}));
    await c.must(k.delete({ key: 's/05', prefix: true }));
    expect(leader.status().lastLogIndex).toBeGreaterThan(120);
    await c.restart(lagger);
    await c.converge(10_000);
    const want = c.sm(leader.id).range({ key: '', prefix: true });
    const got = c.sm(lagger).range({ key: '', prefix: true });
    expect(got.count).toBe(110);
    expect(got).toEqual(want);
    expect(c.sm(lagger).restoreEpoch).toBeGreaterThan(0);
    expect(c.sm(lagger).counts).toEqual(c.sm(leader.id).counts);
    // The restored replica keeps serving: a lease revoke deletes the same keys on it.
    await c.must(k.revokeLease(lease.id));
    await c.converge();
    expect(c.sm(lagger).range({ key: '', prefix: true })).toEqual(c.sm(leader.id).range({ key: '', prefix: true }));
    await c.stopAll();
  });
});

describe('KvClient exactly-once retries', () => {
  /** Make the node's next `propose` apply its command but lose the answer, as when leadership changes after the append. */
  function loseNextAnswer(c: KvCluster, id: string): { calls: number } {
    const node = c.node(id);
    const real = node.propose.bind(node);
    const seen = { calls: 0 };
    node.propose = async (cmd: Uint8Array) => {
      seen.calls++;
      if (seen.calls > 1) return real(cmd);
      await real(cmd);
      throw new LeadershipLostError();
    };
    return seen;
  }

  it('a write whose answer was lost is retried in its session and applies once', async () => {
    const c = await started(ids3);
    const f = follower(c);
    const k = c.client(f);
    await c.must(k.put('warm', 'up')); // opens the session
    const seen = loseNextAnswer(c, f);
    const r = await c.must(k.put('once', 'v'));
    expect(seen.calls).toBe(2);
    expect(r.prev).toBeNull();
    await c.converge();
    for (const id of ids3) expect(c.sm(id).get('once')).toMatchObject({ version: 1, modRevision: r.revision });
    await c.stopAll();
  });

  it('without sessions the same loss is reported as indefinite and not retried', async () => {
    const c = await started(ids3);
    const f = follower(c);
    const k = new KvClient(c.node(f), { clock: c.clock, sessions: false });
    const seen = loseNextAnswer(c, f);
    const r = await c.settle(k.put('maybe', 'v'));
    expect(!r.ok && isQuorumkitError(r.error, 'LEADERSHIP_LOST') && r.error.definite === false).toBe(true);
    expect(seen.calls).toBe(1);
    await c.stopAll();
  });
});
