import { afterEach, describe, expect, it } from 'vitest';
import type { TransportError } from '../../../src/errors.js';
import { hello } from '../../../src/node/tcp/handshake.js';
import { TcpTransport } from '../../../src/node/tcp/transport.js';
import { MsgType, type Message } from '../../../src/raft/core/types.js';
import { RawPeer, makePki, waitFor } from './helpers.js';

const pki = makePki(['a', 'b', 'c', 'd']);
const rogue = makePki(['b'], 'rogue-ca');
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

/** A TLS transport `id` presenting the certificate of `certOf` (signed by `ca`). */
function node(id: string, certOf = id, from = pki) {
  const t = new TcpTransport({ id, clusterId: 'tls', tls: { ...from.certs[certOf]!, ca: pki.ca } });
  const errors: TransportError[] = [];
  const got: Message[] = [];
  t.on('connectionError', (e) => errors.push(e));
  open.push(t);
  return { t, errors, got, start: () => t.start((m) => got.push(m)) };
}

const hb = (from: string, to: string, ctx = 0): Message => ({ type: MsgType.Heartbeat, term: 1, from, to, commit: 0, ctx });

async function link(...ns: ReturnType<typeof node>[]): Promise<void> {
  const addrs = await Promise.all(ns.map((n) => n.t.listen()));
  for (const n of ns) ns.forEach((m, i) => m !== n && n.t.setPeer(m.t.id, addrs[i]!));
  await Promise.all(ns.map((n) => n.start()));
}

describe('TcpTransport with mutual TLS', () => {
  it('authenticates both sides and delivers', async () => {
    const a = node('a');
    const b = node('b');
    await link(a, b);
    a.t.send([hb('a', 'b', 1)]);
    b.t.send([hb('b', 'a', 2)]);
    expect(await waitFor(() => a.got.length === 1 && b.got.length === 1)).toBe(true);
    expect(a.errors.length + b.errors.length).toBe(0);
  });

  it('refuses a node presenting another id\'s certificate, as dialer and as acceptor', async () => {
    const a = node('a');
    const c = node('c', 'b'); // claims to be c, holds b's certificate
    const d = node('d');
    await link(a, c, d);
    a.t.send([hb('a', 'c')]);
    c.t.send([hb('c', 'd'), hb('c', 'a')]);
    expect(await waitFor(() => a.errors.length > 0 && d.errors.length > 0)).toBe(true);
    expect(a.errors.every((e) => e.reason === 'identity')).toBe(true);
    expect(d.errors.every((e) => e.reason === 'identity')).toBe(true);
    expect(a.t.connectedPeers()).not.toContain('c');
    expect(d.t.connectedPeers()).not.toContain('c');
    expect(c.got.length + d.got.length).toBe(0);
    expect(a.got.filter((m) => m.from === 'c')).toEqual([]);
  });

  it('refuses a certificate from another CA', async () => {
    const a = node('a');
    const b = node('b', 'b', rogue);
    await link(a, b);
    a.t.send([hb('a', 'b')]);
    expect(await waitFor(() => a.errors.length > 0 && b.errors.length > 0)).toBe(true);
    expect(a.t.connectedPeers()).toEqual([]);
    expect(b.got).toEqual([]);
  });

  it('drops a frame whose messages claim another sender than the authenticated peer', async () => {
    const a = node('a');
    await a.start();
    const raw = await RawPeer.connect(a.t.address()!, { ...pki.certs['b']!, ca: pki.ca });
    open.push({ close: () => raw.destroy() });
    await raw.handshake('tls', 'b', 'a');
    raw.sendMessages([hb('c', 'a', 1), hb('b', 'a', 2)]);
    expect(await waitFor(() => a.got.length === 1 && a.t.stats().spoofedMessages === 1)).toBe(true);
    expect(a.got[0]).toMatchObject({ from: 'b', ctx: 2 });
  });

  it('refuses a hello whose node id differs from the certificate', async () => {
    const a = node('a');
    await a.start();
    const raw = await RawPeer.connect(a.t.address()!, { ...pki.certs['b']!, ca: pki.ca });
    open.push({ close: () => raw.destroy() });
    raw.hello(hello('tls', 'c', 'a'));
    expect(await waitFor(() => raw.closed)).toBe(true);
    expect(a.errors.map((e) => e.reason)).toEqual(['identity']);
  });
});
