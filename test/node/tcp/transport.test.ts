import * as nodeEntry from 'quorumkit/node';
import { afterEach, describe, expect, it } from 'vitest';
import { isQuorumkitError, TransportError } from '../../../src/errors.js';
import { hello } from '../../../src/node/tcp/handshake.js';
import { TcpTransport } from '../../../src/node/tcp/transport.js';
import type { TcpTransportOptions } from '../../../src/node/tcp/options.js';
import { EntryType, MsgType, type Message } from '../../../src/raft/core/types.js';
import { RawPeer, waitFor } from './helpers.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

function transport(o: Omit<TcpTransportOptions, 'clusterId'> & { clusterId?: string }): TcpTransport {
  const t = new TcpTransport({ clusterId: 'test', ...o });
  open.push(t);
  return t;
}

const hb = (from: string, to: string, ctx = 0): Message => ({ type: MsgType.Heartbeat, term: 1, from, to, commit: 0, ctx });
const app = (from: string, to: string, bytes: number): Message => ({
  type: MsgType.App,
  term: 1,
  from,
  to,
  prevIndex: 0,
  prevTerm: 0,
  commit: 0,
  entries: [{ term: 1, index: 1, type: EntryType.Normal, data: new Uint8Array(bytes).fill(7) }],
});

const snap = (from: string, to: string, bytes: number): Message => ({
  type: MsgType.Snapshot,
  term: 1,
  from,
  to,
  index: 10,
  snapTerm: 1,
  config: { voters: ['a', 'b'], outgoing: [], learners: [], removed: [], epoch: 1, addresses: {} },
  offset: 0,
  total: bytes,
  data: new Uint8Array(bytes).fill(3),
  done: true,
});

/** Two started transports a (dials) and b (accepts); returns what each received. */
async function pair(extra: Partial<TcpTransportOptions> = {}) {
  const a = transport({ id: 'a', ...extra });
  const b = transport({ id: 'b', ...extra });
  a.setPeer('b', await b.listen());
  b.setPeer('a', await a.listen());
  const got = { a: [] as Message[], b: [] as Message[] };
  await a.start((m) => got.a.push(m));
  await b.start((m) => got.b.push(m));
  return { a, b, got };
}

describe('TcpTransport', () => {
  it('is exported by quorumkit/node', () => {
    expect(nodeEntry.TcpTransport).toBe(TcpTransport);
    expect(nodeEntry.TCP_TRANSPORT_DEFAULTS.chunkBytes).toBe(64 * 1024);
  });

  it('delivers messages both ways over one connection', async () => {
    const { a, b, got } = await pair();
    a.send([hb('a', 'b', 1), app('a', 'b', 10)]);
    b.send([hb('b', 'a', 2)]);
    expect(await waitFor(() => got.b.length === 2 && got.a.length === 1)).toBe(true);
    expect(got.b.map((m) => m.type).sort()).toEqual([MsgType.App, MsgType.Heartbeat]);
    expect(a.connectedPeers()).toEqual(['b']);
    expect(b.connectedPeers()).toEqual(['a']);
    expect(a.stats().connectionsOpened + b.stats().connectionsOpened).toBe(2);
    expect(a.addressOf('b')).toBe(b.address());
  });

  it('carries frames larger than a chunk (appends, snapshot chunks), and heartbeats sent after them still arrive', async () => {
    const { a, got } = await pair({ chunkBytes: 4096 });
    a.send([app('a', 'b', 1_000_000)]);
    a.send([snap('a', 'b', 2_000_000)]);
    for (let i = 1; i <= 20; i++) a.send([hb('a', 'b', i)]);
    expect(await waitFor(() => got.b.length === 22)).toBe(true);
    const big = got.b.find((m) => m.type === MsgType.App);
    expect(big?.type === MsgType.App && big.entries[0]!.data.byteLength).toBe(1_000_000);
    const chunk = got.b.find((m) => m.type === MsgType.Snapshot);
    expect(chunk?.type === MsgType.Snapshot && chunk.data.byteLength).toBe(2_000_000);
    expect(got.b.filter((m) => m.type === MsgType.Heartbeat).map((m) => (m.type === MsgType.Heartbeat ? m.ctx : 0))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('redials a peer that restarts on the same address', async () => {
    const { a, b, got } = await pair({ backoffBaseMs: 10, backoffMaxMs: 50 });
    a.send([hb('a', 'b', 1)]);
    expect(await waitFor(() => got.b.length === 1)).toBe(true);
    const addr = b.address()!;
    await b.close();
    expect(await waitFor(() => a.connectedPeers().length === 0)).toBe(true);
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    const b2 = transport({ id: 'b', port });
    const again: Message[] = [];
    await b2.start((m) => again.push(m));
    expect(await waitFor(() => a.connectedPeers().length === 1)).toBe(true);
    a.send([hb('a', 'b', 2)]);
    expect(await waitFor(() => again.length === 1)).toBe(true);
    expect(again[0]).toMatchObject({ ctx: 2 });
  });

  it('works over IPv6 loopback', async () => {
    const { a, got } = await pair({ host: '::1' });
    expect(a.address()).toMatch(/^\[::1\]:\d+$/);
    a.send([hb('a', 'b', 1)]);
    expect(await waitFor(() => got.b.length === 1)).toBe(true);
  });

  it('refuses a peer of another cluster on both sides, with a typed error, and adopts nothing', async () => {
    const a = transport({ id: 'a', clusterId: 'one' });
    const b = transport({ id: 'b', clusterId: 'two' });
    const errors: TransportError[] = [];
    a.on('connectionError', (e) => errors.push(e));
    b.on('connectionError', (e) => errors.push(e));
    a.setPeer('b', await b.listen());
    const got: Message[] = [];
    await b.start((m) => got.push(m));
    await a.start(() => undefined);
    a.send([hb('a', 'b')]);
    expect(await waitFor(() => errors.length >= 2)).toBe(true);
    expect(errors.every((e) => isQuorumkitError(e, 'TRANSPORT') && e.reason === 'cluster')).toBe(true);
    expect(got).toEqual([]);
    expect(a.connectedPeers()).toEqual([]);
    expect(b.stats().connectionErrors).toBeGreaterThan(0);
  });

  it('refuses a hello of another protocol version', async () => {
    const b = transport({ id: 'b' });
    const errors: TransportError[] = [];
    b.on('connectionError', (e) => errors.push(e));
    const addr = await b.listen();
    await b.start(() => undefined);
    const raw = await RawPeer.connect(addr);
    open.push({ close: () => raw.destroy() });
    raw.hello({ ...hello('test', 'a', 'b'), tcpVersion: 99 });
    expect(await waitFor(() => raw.closed)).toBe(true);
    expect(errors.map((e) => e.reason)).toEqual(['version']);
    expect(b.stats().connectionErrors).toBe(1);
    expect(b.connectedPeers()).toEqual([]);
  });

  it('drops and counts messages that claim another sender or recipient', async () => {
    const b = transport({ id: 'b' });
    const got: Message[] = [];
    const addr = await b.listen();
    await b.start((m) => got.push(m));
    const raw = await RawPeer.connect(addr);
    open.push({ close: () => raw.destroy() });
    await raw.handshake('test', 'a', 'b');
    raw.sendMessages([hb('c', 'b'), hb('a', 'c'), hb('a', 'b', 5)]);
    expect(await waitFor(() => got.length === 1 && b.stats().spoofedMessages === 2)).toBe(true);
    expect(got[0]).toMatchObject({ from: 'a', ctx: 5 });
  });

  it('keeps the queue of a dead peer bounded and counts what it drops', async () => {
    const dead = transport({ id: 'z' });
    const deadAddr = await dead.listen();
    await dead.close();
    const a = transport({ id: 'a', peers: { z: deadAddr }, maxQueueBytes: 1 << 20, maxFrameBytes: 1 << 20, maxQueueFrames: 64 });
    await a.start(() => undefined);
    for (let i = 0; i < 500; i++) a.send([app('a', 'z', 10_000), hb('a', 'z', i)]);
    expect(a.queuedBytes('z')).toBeLessThanOrEqual(1 << 20);
    const s = a.stats();
    expect(s.messagesDropped).toBeGreaterThan(0);
    expect(s.messagesQueued).toBe(1000);
    expect(a.connectedPeers()).toEqual([]);
  });

  it('keeps the queue of a peer that stops reading bounded', async () => {
    const c = transport({ id: 'c', maxQueueBytes: 1 << 20, maxFrameBytes: 1 << 20 });
    await c.start(() => undefined);
    const raw = await RawPeer.connect(c.address()!);
    open.push({ close: () => raw.destroy() });
    await raw.handshake('test', 'b', 'c');
    raw.socket.pause();
    const seen: number[] = [];
    for (let i = 0; i < 300 && c.stats().messagesDropped === 0; i++) {
      c.send([app('c', 'b', 100_000)]);
      seen.push(c.queuedBytes('b'));
      await new Promise((r) => setImmediate(r));
    }
    expect(c.stats().messagesDropped).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(1 << 20);
    expect(c.connectedPeers()).toEqual(['b']);
  });

  it('fails to start with a typed error when the port is taken', async () => {
    const a = transport({ id: 'a' });
    const taken = await a.listen();
    const b = transport({ id: 'b', port: Number(taken.slice(taken.lastIndexOf(':') + 1)) });
    const err: unknown = await b.start(() => undefined).catch((e: unknown) => e);
    expect(isQuorumkitError(err, 'TRANSPORT') && (err as TransportError).reason).toBe('listen');
  });

  it('drops messages for unknown peers and for itself', async () => {
    const a = transport({ id: 'a' });
    await a.start(() => undefined);
    a.send([hb('a', 'nobody'), hb('a', 'a')]);
    expect(a.stats().messagesDropped).toBe(2);
  });
});
