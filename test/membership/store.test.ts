import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../src/errors.js';
import { membershipExtension } from '../../src/membership/extension.js';
import { MembershipStore, type VoterChanger } from '../../src/membership/store.js';
import { raftVoterChanger } from '../../src/membership/voters.js';
import { KvCluster } from '../kv/kv-cluster.js';

const managers = ['m1', 'm2', 'm3', 'm4', 'm5'];

class FakeVoters implements VoterChanger {
  readonly calls: string[] = [];
  refuse = false;
  async addVoter(id: string, address: string): Promise<void> {
    if (this.refuse) throw new Error('refused by raft');
    this.calls.push(`add ${id} ${address}`);
  }
  async removeVoter(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
  }
}

async function setup(ids = managers) {
  const c = new KvCluster(ids, [membershipExtension]);
  await c.start();
  const leader = await c.waitForLeader();
  const voters = new FakeVoters();
  const store = (id: string) => new MembershipStore({ client: c.client(id), liveness: c.liveness.get(id)!, voters });
  const s = store(leader.id);
  for (const id of ids) await c.must(s.register({ id, hostname: `host-${id}`, address: `10.0.0.${id.slice(1)}:2377`, role: 'manager', version: '27.0.1' }));
  return { c, leader: leader.id, store, s, voters };
}

const errCode = (r: { ok: boolean; error?: unknown }) => (!r.ok && isQuorumkitError(r.error) ? r.error.code : 'ok');

describe('MembershipStore operations', () => {
  it('register stamps replicated time; update, drain and labels change the record; list filters', async () => {
    const { c, s } = await setup(['m1', 'm2', 'm3']);
    const w = await c.must(s.register({ id: 'w1', hostname: 'worker-1', address: '10.1.0.1', labels: { zone: 'a' }, version: '27.0.1' }));
    expect(w).toMatchObject({ role: 'worker', availability: 'active', status: 'ready', labels: { zone: 'a' } });
    expect(w.managerStatus).toBeUndefined();
    expect(w.createdAt).toBe(w.updatedAt);
    await c.run(100);
    const d = await c.must(s.drain('w1'));
    expect(d.availability).toBe('drain');
    expect(d.updatedAt).toBeGreaterThan(w.createdAt);
    expect(d.createdAt).toBe(w.createdAt);
    await c.must(s.register({ id: 'w2', hostname: 'worker-2', address: '10.1.0.2', labels: { zone: 'b' } }));
    await c.must(s.update('w2', { status: 'down' }));
    expect((await c.must(s.list({ role: 'worker' }))).map((n) => n.id)).toEqual(['w1', 'w2']);
    expect((await c.must(s.list({ label: 'zone=b' }))).map((n) => n.id)).toEqual(['w2']);
    expect((await c.must(s.list({ label: 'zone' }))).length).toBe(2);
    expect((await c.must(s.list({ status: 'down' }))).map((n) => n.id)).toEqual(['w2']);
    expect((await c.must(s.list({ availability: 'drain' }))).map((n) => n.id)).toEqual(['w1']);
    expect(errCode(await c.settle(s.update('nope', { status: 'down' })))).toBe('PRECONDITION_FAILED');
    expect(errCode(await c.settle(s.update('w1', { availability: 'sleepy' as never })))).toBe('DECODE');
    await c.stopAll();
  });

  it('remove: refused for a ready node without force and for managers; a removed id is never reused', async () => {
    const { c, s } = await setup(['m1', 'm2', 'm3']);
    await c.must(s.register({ id: 'w1', hostname: 'worker-1', address: 'x' }));
    expect(errCode(await c.settle(s.remove('w1')))).toBe('PRECONDITION_FAILED');
    expect(errCode(await c.settle(s.remove('m2', { force: true })))).toBe('PRECONDITION_FAILED');
    await c.must(s.remove('w1', { force: true }));
    expect(await c.must(s.get('w1'))).toBeNull();
    const again = await c.settle(s.register({ id: 'w1', hostname: 'worker-1', address: 'x' }));
    expect(errCode(again)).toBe('PRECONDITION_FAILED');
    expect(String((again as { error: Error }).error.message)).toMatch(/removed/);
    await c.stopAll();
  });

  it('promote and demote call the voter hook first; the last manager and quorum-breaking changes are refused', async () => {
    const { c, s, voters } = await setup(['m1', 'm2', 'm3']);
    await c.run(300);
    await c.must(s.register({ id: 'w1', hostname: 'worker-1', address: '10.1.0.1' }));
    const p = await c.must(s.promote('w1'));
    expect(p.role).toBe('manager');
    expect(voters.calls).toEqual(['add w1 10.1.0.1']);
    voters.refuse = true;
    await c.must(s.register({ id: 'w2', hostname: 'worker-2', address: 'y' }));
    expect((await c.settle(s.promote('w2'))).ok).toBe(false);
    expect((await c.must(s.get('w2')))!.role).toBe('worker');
    const d = await c.must(s.demote('w1'));
    expect(d.role).toBe('worker');
    expect(voters.calls).toEqual(['add w1 10.1.0.1', 'remove w1']);
    await c.stopAll();
  });

  it('refuses demoting the last manager (also inside the state machine)', async () => {
    const { c, s } = await setup(['m1']);
    expect(errCode(await c.settle(s.demote('m1')))).toBe('PRECONDITION_FAILED');
    const raw = await c.settle(c.client('m1').ext('m', { op: 'setRole', id: 'm1', role: 'worker' }));
    expect(errCode(raw)).toBe('PRECONDITION_FAILED');
    await c.stopAll();
  });

  it('watch reports every change of the table in order', async () => {
    const { c, s, leader } = await setup(['m1', 'm2', 'm3']);
    const from = c.sm(leader).revision + 1;
    await c.must(s.register({ id: 'w1', hostname: 'worker-1', address: 'x' }));
    await c.must(s.drain('w1'));
    await c.must(s.remove('w1', { force: true }));
    const it = s.watch({ fromRevision: from });
    const evs = [];
    for (let i = 0; i < 3; i++) evs.push((await c.must(it.next())).value!);
    expect(evs.map((e) => `${e.type} ${e.id} ${e.node?.availability ?? '-'}`)).toEqual(['put w1 active', 'put w1 drain', 'delete w1 -']);
    await it.return(undefined);
    await c.stopAll();
  });

  it('manager status on the leader: leader, reachable, unreachable after a manager stops', async () => {
    const { c, s, leader } = await setup();
    await c.run(500);
    const down = managers.find((m) => m !== leader)!;
    await c.stop(down);
    await c.run(1500);
    const byId = new Map((await c.must(s.list({ role: 'manager' }))).map((n) => [n.id, n.managerStatus]));
    expect(byId.get(leader)).toBe('leader');
    expect(byId.get(down)).toBe('unreachable');
    expect([...byId.values()].filter((v) => v === 'reachable').length).toBe(3);
    await c.stopAll();
  });
});

describe('MembershipStore without a majority (5 managers)', () => {
  it('3 stopped: updates refused fast, nothing half-applied, stale reads answer; 2 restarted: updates accepted, every table equal', async () => {
    const { c, store, leader } = await setup();
    const keep = [leader, ...managers.filter((m) => m !== leader).slice(0, 1)];
    const stopped = managers.filter((m) => !keep.includes(m));
    await c.must(store(keep[1]!).register({ id: 'w1', hostname: 'worker-1', address: 'x' }));
    for (const id of stopped) await c.stop(id);
    const s = store(keep[1]!);
    const before = await c.must(s.list({ consistency: 'stale' }));
    const r = await c.settle(s.drain('w1'));
    expect(errCode(r)).toBe('NO_QUORUM');
    expect(r.ms).toBeLessThan(2000);
    expect(errCode(await c.settle(s.list()))).toBe('NO_QUORUM');
    const stale = await c.must(s.list({ consistency: 'stale' }));
    expect(stale.map((n) => [n.id, n.availability])).toEqual(before.map((n) => [n.id, n.availability]));
    expect(stale.find((n) => n.id === 'w1')!.availability).toBe('active');
    // Two come back: a majority of five again.
    await c.restart(stopped[0]!);
    await c.restart(stopped[1]!);
    await c.waitForLeader();
    await c.must(store(keep[1]!).drain('w1'));
    await c.must(store(stopped[0]!).register({ id: 'w2', hostname: 'worker-2', address: 'y' }));
    await c.converge();
    const running = [...keep, stopped[0]!, stopped[1]!];
    const tables = running.map((id) => store(id).list({ consistency: 'stale' }).then((l) => l.map(({ managerStatus: _m, ...rest }) => rest)));
    const lists = await Promise.all(tables);
    for (const l of lists) expect(l).toEqual(lists[0]);
    expect(lists[0]!.find((n) => n.id === 'w1')!.availability).toBe('drain');
    expect(lists[0]!.map((n) => n.id)).toContain('w2');
    await c.stopAll();
  });
});

describe('MembershipStore with the Raft voter changer', () => {
  it('promote makes a joined worker a Raft voter (learner, catch-up, voter) and demote takes it out; the table follows', async () => {
    const c = new KvCluster(['m1', 'm2', 'm3'], [membershipExtension]);
    await c.start();
    const leader = await c.waitForLeader();
    const s = new MembershipStore({ client: c.client(leader.id), voters: raftVoterChanger(leader) });
    for (const id of ['m1', 'm2', 'm3']) await c.must(s.register({ id, hostname: id, address: `memory://${id}`, role: 'manager' }));
    await c.addNode('w1');
    await c.must(s.register({ id: 'w1', hostname: 'worker-1', address: 'memory://w1' }));
    await c.run(300);
    const p = await c.must(s.promote('w1'));
    expect(p.role).toBe('manager');
    expect([...leader.membership().voters].sort()).toEqual(['m1', 'm2', 'm3', 'w1']);
    await c.converge();
    // The promoted node holds the table too.
    expect((await c.must(new MembershipStore({ client: c.client('w1') }).get('w1', { consistency: 'stale' })))?.role).toBe('manager');
    await c.run(300);
    const d = await c.must(s.demote('w1'));
    expect(d.role).toBe('worker');
    expect([...leader.membership().voters].sort()).toEqual(['m1', 'm2', 'm3']);
    await c.stopAll();
  });

  it('without a liveness tracker the leader derives reachability from Raft progress', async () => {
    const c = new KvCluster(['m1', 'm2', 'm3'], [membershipExtension]);
    await c.start();
    const leader = await c.waitForLeader();
    const s = new MembershipStore({ client: c.client(leader.id) });
    for (const id of ['m1', 'm2', 'm3']) await c.must(s.register({ id, hostname: id, address: id, role: 'manager' }));
    const down = ['m1', 'm2', 'm3'].find((x) => x !== leader.id)!;
    await c.stop(down);
    await c.run(400);
    const st = new Map((await c.must(s.list({ consistency: 'stale' }))).map((n) => [n.id, n.managerStatus]));
    expect(st.get(leader.id)).toBe('leader');
    expect(st.get(down)).toBe('unreachable');
    await c.stopAll();
  });
});
