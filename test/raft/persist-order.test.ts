/**
 * The persistence rule of RaftNode's pipelined writes, on a storage whose
 * saves resolve only when the test says (a slow disk) and a transport that
 * records what leaves and what the disk held at that moment. Virtual time:
 * no timer fires unless the test runs the loop.
 */
import { describe, expect, it } from 'vitest';
import { EntryType, MsgType, type AppMsg, type Entry, type Message } from '../../src/raft/core/types.js';
import { RaftNode } from '../../src/raft/node.js';
import { PersistPipeline } from '../../src/raft/persist.js';
import type { StateMachine } from '../../src/raft/state-machine.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import type { StorageUpdate } from '../../src/storage/storage.js';
import { EventLoop, settleMicrotasks } from '../../src/testing/sim/event-loop.js';
import type { RaftTransport } from '../../src/transport/transport.js';

/** MemoryStorage whose saves take effect and resolve only on `release()`, one at a time, in order. */
class GatedStorage extends MemoryStorage {
  readonly started: StorageUpdate[] = [];
  private gates: (() => void)[] = [];
  inFlight = 0;
  maxInFlight = 0;

  override save(update: StorageUpdate): Promise<void> {
    this.started.push(update);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve, reject) => {
      this.gates.push(() => {
        this.inFlight--;
        super.save(update).then(resolve, reject);
      });
    });
  }

  /** Let the oldest pending save complete, then let the node react. */
  async release(): Promise<void> {
    const g = this.gates.shift();
    if (g === undefined) throw new Error('no save in flight');
    g();
    await settleMicrotasks();
  }

  get pending(): number {
    return this.gates.length;
  }
}

/** A sent message with what the node's disk held when it left. */
interface Sent {
  readonly m: Message;
  readonly durableLast: number;
  readonly durableTerm: number;
  readonly durableVote: string | null;
}

class RecordingTransport implements RaftTransport {
  handler: ((m: Message) => void) | null = null;
  readonly sent: Sent[] = [];
  constructor(private readonly disk: GatedStorage) {}
  start(h: (m: Message) => void): void {
    this.handler = h;
  }
  send(ms: readonly Message[]): void {
    const last = this.disk.entries.at(-1)?.index ?? 0;
    for (const m of ms) this.sent.push({ m, durableLast: last, durableTerm: this.disk.hardState.term, durableVote: this.disk.hardState.vote });
  }
  close(): void {}
  async deliver(m: Message): Promise<void> {
    this.handler!(m);
    await settleMicrotasks();
  }
  of(type: number): Sent[] {
    return this.sent.filter((s) => s.m.type === type);
  }
}

const counter = (): StateMachine<number> => {
  let n = 0;
  return { apply: () => ++n, snapshot: () => Uint8Array.of(0), restore: () => void (n = 0) };
};

const entry = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: Uint8Array.of(index) });

async function node(id: string, peers: string[]) {
  const loop = new EventLoop();
  const disk = new GatedStorage();
  const net = new RecordingTransport(disk);
  const n = new RaftNode<number>({ id, peers, transport: net, storage: disk, stateMachine: counter(), clock: loop.clock(), seed: 7, preVote: false });
  await n.start();
  await settleMicrotasks();
  return { n, disk, net, loop };
}

/** Make `a` the leader of a, b, c in term 1 (b's vote injected), its blank entry committed, b and c replicating. */
async function leader() {
  const t = await node('a', ['a', 'b', 'c']);
  t.n.campaign();
  await settleMicrotasks();
  while (t.disk.pending > 0) await t.disk.release();
  await t.net.deliver({ type: MsgType.VoteResp, term: 1, from: 'b', to: 'a', reject: false });
  expect(t.n.isLeader).toBe(true);
  while (t.disk.pending > 0) await t.disk.release();
  for (const from of ['b', 'c']) await t.net.deliver({ type: MsgType.AppResp, term: 1, from, to: 'a', index: 1, reject: false, hintIndex: 0, hintTerm: 0 });
  expect(t.n.status().commitIndex).toBe(1);
  return t;
}

describe('RaftNode pipelined persistence (slow disk, virtual time)', () => {
  it('(a) a follower acknowledges appended entries only once their save resolved, even while the next append arrives', async () => {
    const { n, disk, net } = await node('b', ['a', 'b', 'c']);
    await net.deliver({ type: MsgType.App, term: 1, from: 'a', to: 'b', prevIndex: 0, prevTerm: 0, entries: [entry(1, 1), entry(2, 1)], commit: 0 });
    await net.deliver({ type: MsgType.App, term: 1, from: 'a', to: 'b', prevIndex: 2, prevTerm: 1, entries: [entry(3, 1)], commit: 0 });
    expect(disk.inFlight).toBe(1);
    expect(net.of(MsgType.AppResp)).toEqual([]);
    await disk.release();
    // The first acknowledgement leaves; the one for entry 3 waits for the second save.
    expect(net.of(MsgType.AppResp).map((s) => (s.m as { index: number }).index)).toEqual([2]);
    await disk.release();
    const acks = net.of(MsgType.AppResp);
    expect(acks.map((s) => (s.m as { index: number }).index)).toEqual([2, 3]);
    for (const s of acks) expect(s.durableLast).toBeGreaterThanOrEqual((s.m as { index: number }).index);
    expect(disk.maxInFlight).toBe(1);
    await n.stop();
  });

  it('(b) a vote leaves only once the term and vote are saved', async () => {
    const { n, disk, net } = await node('b', ['a', 'b', 'c']);
    await net.deliver({ type: MsgType.Vote, term: 5, from: 'c', to: 'b', lastIndex: 0, lastTerm: 0, force: false });
    expect(disk.pending).toBe(1);
    expect(net.of(MsgType.VoteResp)).toEqual([]);
    await disk.release();
    const [v] = net.of(MsgType.VoteResp);
    expect(v?.m).toMatchObject({ term: 5, reject: false, to: 'c' });
    expect(v).toMatchObject({ durableTerm: 5, durableVote: 'c' });
    await n.stop();
  });

  it('(c) the leader replicates while its own write is in flight, but counts itself for commit only once it resolved', async () => {
    const { n, disk, net } = await leader();
    const p = n.propose(Uint8Array.of(9));
    await settleMicrotasks();
    const apps = net.of(MsgType.App).filter((s) => (s.m as AppMsg).entries.some((e) => e.data[0] === 9));
    expect(apps.length).toBe(2);
    const idx = (apps[0]!.m as AppMsg).entries.at(-1)!.index;
    expect(apps[0]!.durableLast).toBeLessThan(idx);
    // b acknowledges: with the leader's own write unresolved that is 1 of 3, no quorum.
    await net.deliver({ type: MsgType.AppResp, term: 1, from: 'b', to: 'a', index: idx, reject: false, hintIndex: 0, hintTerm: 0 });
    expect(n.status().commitIndex).toBeLessThan(idx);
    let done = false;
    void p.then(() => (done = true));
    await settleMicrotasks();
    expect(done).toBe(false);
    while (disk.pending > 0) await disk.release();
    expect(n.status().commitIndex).toBe(idx);
    await p;
    await n.stop();
  });

  it('(d) with a slow disk, proposals arriving during a write are batched into the next single write', async () => {
    const { n, disk } = await leader();
    const before = disk.started.length;
    const ps = [n.propose(Uint8Array.of(1))];
    await settleMicrotasks();
    expect(disk.started.length).toBe(before + 1);
    for (let i = 0; i < 10; i++) {
      ps.push(n.propose(Uint8Array.of(i)));
      await settleMicrotasks();
    }
    // Ten proposals, one by one, while the first write is in flight: no second write yet.
    expect(disk.started.length).toBe(before + 1);
    await disk.release();
    expect(disk.started.length).toBe(before + 2);
    expect(disk.started.at(-1)!.entries.length).toBe(10);
    expect(disk.maxInFlight).toBe(1);
    await disk.release();
    await n.stop();
    await Promise.allSettled(ps);
  });
});

describe('PersistPipeline', () => {
  it('merges writes taken during one in flight, a truncation replacing the suffix as separate saves would', () => {
    const saves: StorageUpdate[] = [];
    const dones: (() => void)[] = [];
    const durable: (readonly Message[])[] = [];
    const p = new PersistPipeline(
      { save: (u, done) => (saves.push(u), dones.push(done)), durable: (after) => durable.push(after), failed: () => undefined },
      { term: 1, vote: null, commit: 0 },
    );
    const ack = (i: number): Message => ({ type: MsgType.AppResp, term: 1, from: 'b', to: 'a', index: i, reject: false, hintIndex: 0, hintTerm: 0 });
    p.push(null, [entry(1, 1), entry(2, 1)], [ack(2)]);
    p.push(null, [entry(3, 1), entry(4, 1)], [ack(4)]);
    p.push({ term: 2, vote: null, commit: 0 }, [entry(4, 2)], [ack(4)]);
    expect(saves.length).toBe(1);
    expect(durable).toEqual([]);
    dones.shift()!();
    expect(durable).toEqual([[ack(2)]]);
    expect(saves[1]!.entries.map((e) => [e.index, e.term])).toEqual([[3, 1], [4, 2]]);
    expect(saves[1]!.hardState?.term).toBe(2);
    // A batch needing no write waits for the one in flight, then goes at once.
    p.push(null, [], [ack(9)]);
    expect(durable.length).toBe(1);
    dones.shift()!();
    expect(durable).toEqual([[ack(2)], [ack(4), ack(4)], [ack(9)]]);
    expect(saves.length).toBe(2);
    expect(p.idle).toBe(true);
  });
});
