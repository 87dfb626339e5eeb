import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GossipNode } from '../../../src/gossip/node.js';
import { encodeStreamFrame, StreamParser } from '../../../src/node/udp/stream.js';
import { UdpGossipTransport } from '../../../src/node/udp/transport.js';
import { parseHostPort } from '../../../src/node/udp/address.js';

const open: UdpGossipTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function bind(opts = {}): Promise<UdpGossipTransport> {
  const t = await UdpGossipTransport.bind(opts);
  open.push(t);
  return t;
}

/** Wait (bounded) until `pred` holds. */
async function until(pred: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe('UdpGossipTransport', () => {
  it('carries datagrams with the sender address, and large packets over the TCP fallback', async () => {
    const a = await bind();
    const b = await bind();
    const got: [number, string][] = [];
    b.onPacket((p, from) => got.push([p.byteLength, from]));
    a.send(b.address, new Uint8Array(100));
    a.send(b.address, new Uint8Array(200_000).fill(3));
    expect(await until(() => got.length === 2)).toBe(true);
    expect(got.map(([n]) => n).sort((x, y) => x - y)).toEqual([100, 200_000]);
    for (const [, from] of got) expect(from).toBe(a.address);
    expect(a.stats.datagramsSent).toBe(1);
    expect(a.stats.streamSent).toBe(1);
    expect(b.stats.streamReceived).toBe(1);
  });

  it('works on IPv6 loopback', async () => {
    const a = await bind({ host: '::1' });
    const b = await bind({ host: '::1' });
    let from = '';
    b.onPacket((_p, f) => (from = f));
    a.send(b.address, new Uint8Array(10));
    expect(await until(() => from !== '')).toBe(true);
    expect(from).toBe(a.address);
    expect(parseHostPort(a.address)?.host).toBe('::1');
  });

  it('drops what it cannot send and never throws for the network', async () => {
    const a = await bind({ maxPacketBytes: 1000 });
    a.send('not an address', new Uint8Array(10));
    a.send('127.0.0.1:9', new Uint8Array(5000)); // over maxPacketBytes
    expect(a.stats.dropped).toBe(2);
  });

  it('closes a TCP stream that breaks the framing and counts it', async () => {
    const b = await bind();
    let delivered = 0;
    b.onPacket(() => delivered++);
    const { host, port } = parseHostPort(b.address)!;
    const s = connect({ host, port });
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 1)); // a length far past the limit
    const closed = await new Promise<boolean>((r) => {
      s.once('close', () => r(true));
      setTimeout(() => r(false), 5000);
    });
    expect(closed).toBe(true);
    expect(b.stats.malformed).toBe(1);
    expect(delivered).toBe(0);
  });

  it('the stream parser frames across arbitrary cuts and rejects bad headers', () => {
    const frames: [string, number][] = [];
    const p = new StreamParser(10_000, (from, packet) => frames.push([from, packet.byteLength]));
    const bytes = new Uint8Array([...encodeStreamFrame('1.2.3.4:5', new Uint8Array(300)), ...encodeStreamFrame('[::1]:6', new Uint8Array(7))]);
    for (let i = 0; i < bytes.length; i += 13) expect(p.push(bytes.subarray(i, i + 13))).toBe(true);
    expect(frames).toEqual([['1.2.3.4:5', 300], ['[::1]:6', 7]]);
    const bad = new StreamParser(10_000, () => undefined);
    expect(bad.push(Uint8Array.of(0, 0, 0, 10, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8))).toBe(false); // empty address
  });

  it('five GossipNodes on UDP loopback find each other and detect a crash', async () => {
    const transports = await Promise.all(Array.from({ length: 5 }, () => UdpGossipTransport.bind()));
    const nodes = transports.map((t, i) => new GossipNode({ id: `g${i}`, transport: t }));
    try {
      await nodes[0]!.start();
      for (const n of nodes.slice(1)) await n.start([transports[0]!.address]);
      expect(await until(() => nodes.every((n) => n.aliveMembers().length === 5), 15_000)).toBe(true);
      await nodes[4]!.stop();
      expect(await until(() => nodes.slice(0, 4).every((n) => n.aliveMembers().length === 4), 30_000)).toBe(true);
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
      await Promise.all(transports.map((t) => t.close()));
    }
  }, 60_000);
});
