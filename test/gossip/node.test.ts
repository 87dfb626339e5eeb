import { describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/codec/msgpack.js';
import { decodeGossipPacket, encodeGossipPacket } from '../../src/codec/gossip.js';
import { GossipKeyring, GossipNode, MemoryGossipNetwork, type MemberInfo } from '../../src/gossip/index.js';
import { EventLoop } from '../../src/testing/sim/event-loop.js';

function cluster(n: number, extra: (i: number) => Partial<ConstructorParameters<typeof GossipNode>[0]> = () => ({})) {
  const loop = new EventLoop();
  const net = new MemoryGossipNetwork({ clock: loop.clock(), seed: 1, faults: { minDelayMs: 1, maxDelayMs: 3 } });
  const nodes = Array.from({ length: n }, (_, i) => new GossipNode({ id: `g${i}`, transport: net.transport(`g${i}`), clock: loop.clock(), ...extra(i) }));
  return { loop, net, nodes };
}

/** Advance virtual time in small steps, letting WebCrypto work finish before each step. */
async function runFor(loop: EventLoop, nodes: GossipNode[], ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    for (let spins = 0; spins < 1000 && nodes.some((n) => n.pendingCrypto > 0); spins++) await new Promise((r) => setTimeout(r, 0));
    await loop.runForAsync(10);
  }
}

describe('GossipNode driver', () => {
  it('joins through a seed, emits typed events, and reports a crash as suspect then dead', async () => {
    const { loop, nodes } = cluster(5);
    const joins: string[] = [];
    const deaths: MemberInfo[] = [];
    nodes[1]!.on('join', (m) => joins.push(m.id));
    nodes[1]!.on('dead', (m) => deaths.push(m));
    await nodes[0]!.start();
    for (const n of nodes.slice(1)) await n.start(['g0']);
    loop.runFor(5000);
    for (const n of nodes) expect(n.aliveMembers().length).toBe(5);
    expect(new Set(joins)).toEqual(new Set(['g0', 'g2', 'g3', 'g4']));
    const suspects: string[] = [];
    nodes[1]!.on('suspect', (m) => suspects.push(m.id));
    await nodes[4]!.stop();
    loop.runFor(30_000);
    expect(suspects).toContain('g4');
    expect(deaths.map((m) => m.id)).toEqual(['g4']);
  });

  it('delivers user broadcasts and key/value entries, persists incarnations', async () => {
    const persisted: number[] = [];
    const { loop, nodes } = cluster(4, (i) => (i === 0 ? { onIncarnation: (n) => void persisted.push(n) } : {}));
    for (const [i, n] of nodes.entries()) await n.start(i === 0 ? [] : ['g0']);
    loop.runFor(3000);
    const got: string[] = [];
    nodes[3]!.on('broadcast', (p, from) => got.push(`${from}:${new TextDecoder().decode(p)}`));
    nodes[0]!.broadcast(new TextEncoder().encode('hello'));
    nodes[0]!.setKv('svc/web', new Uint8Array([80]));
    nodes[0]!.setMeta(new Uint8Array([1]));
    loop.runFor(3000);
    expect(got).toEqual(['g0:hello']);
    expect(nodes[2]!.kv('g0').get('svc/web')).toEqual(new Uint8Array([80]));
    expect(nodes[2]!.member('g0')!.meta).toEqual(new Uint8Array([1]));
    expect(persisted).toEqual([1, 2]);
  });

  it('drops a replayed encrypted packet and counts it, while the original is accepted', async () => {
    const key = new Uint8Array(32).fill(9);
    const rings = [await GossipKeyring.create(key), await GossipKeyring.create(key)];
    const { loop, net, nodes } = cluster(2, (i) => ({ keyring: rings[i]! }));
    await nodes[0]!.start();
    await nodes[1]!.start(['g0']);
    await runFor(loop, nodes, 2000);
    const captured = await rings[1]!.encrypt(encodeGossipPacket('quorumkit', 'g1', [{ t: 'ping', seq: 424242, target: 'g0' }]), new TextEncoder().encode('quorumkit'));
    net.fabric.send('g1', 'g0', captured);
    await runFor(loop, nodes, 50);
    expect(nodes[0]!.stats.replayed).toBe(0);
    net.fabric.send('g1', 'g0', captured);
    net.fabric.send('g1', 'g0', captured);
    await runFor(loop, nodes, 50);
    expect(nodes[0]!.stats.replayed).toBe(2);
    expect(nodes[0]!.stats.unauthenticated).toBe(0);
    expect(nodes[0]!.aliveMembers().length).toBe(2);
    for (const n of nodes) await n.stop();
  });

  it('encrypted packets leave the cluster id out, yet a member of another cluster under the same key is shut out', async () => {
    const key = new Uint8Array(32).fill(4);
    const rings = await Promise.all([0, 1, 2].map(() => GossipKeyring.create(key)));
    const { loop, net, nodes } = cluster(3, (i) => ({ keyring: rings[i]!, clusterId: i === 2 ? 'other' : 'quorumkit' }));
    const plain: Uint8Array[] = [];
    const decrypt = rings[0]!.decrypt.bind(rings[0]!);
    rings[0]!.decrypt = async (p, aad) => {
      const out = await decrypt(p, aad);
      if (out !== null) plain.push(out);
      return out;
    };
    await nodes[0]!.start();
    await nodes[1]!.start(['g0']);
    await nodes[2]!.start(['g0']);
    await runFor(loop, nodes, 3000);
    expect(nodes[0]!.aliveMembers().map((m) => m.id).sort()).toEqual(['g0', 'g1']);
    expect(nodes[2]!.aliveMembers().map((m) => m.id)).toEqual(['g2']);
    expect(nodes[0]!.stats.unauthenticated).toBeGreaterThan(0);
    expect(plain.length).toBeGreaterThan(0);
    for (const p of plain) expect(decodeGossipPacket(p, { maxPacketBytes: 65_536, maxMetaBytes: 512 }).clusterId).toBe('');
    for (const n of nodes) await n.stop();
  });

  it('drops and counts malformed, oversized and foreign-cluster packets without crashing', async () => {
    const { loop, net, nodes } = cluster(2);
    await nodes[0]!.start();
    await nodes[1]!.start(['g0']);
    loop.runFor(2000);
    net.fabric.send('evil', 'g0', new Uint8Array([0xc1, 0xff, 0x00]));
    net.fabric.send('evil', 'g0', encodeValue([1, 'quorumkit', 'evil', [[5, 'x', -3, 'x', new Uint8Array(0)]]]));
    net.fabric.send('evil', 'g0', new Uint8Array(5000));
    net.fabric.send('evil', 'g0', encodeGossipPacket('other-cluster', 'evil', [{ t: 'ping', seq: 1, target: 'g0' }]));
    loop.runFor(2000);
    expect(nodes[0]!.stats.malformed).toBe(3);
    expect(nodes[0]!.stats.wrongCluster).toBe(1);
    expect(nodes[0]!.aliveMembers().map((m) => m.id).sort()).toEqual(['g0', 'g1']);
  });

  it.each([false, true])('never sends a packet above maxPacketBytes, even with big broadcasts and syncs (keyring: %s)', async (encrypted) => {
    const ring = encrypted ? await GossipKeyring.create(new Uint8Array(32).fill(5)) : undefined;
    const { loop, net, nodes } = cluster(30, () => ({ maxPacketBytes: 512, maxMetaBytes: 200, meta: new Uint8Array(100), ...(ring ? { keyring: ring } : {}) }));
    let largest = 0;
    let sent = 0;
    const send = net.fabric.send.bind(net.fabric);
    net.fabric.send = (from, to, p) => {
      largest = Math.max(largest, p.byteLength);
      sent += p.byteLength;
      send(from, to, p);
    };
    const sendReliable = net.fabric.sendReliable.bind(net.fabric);
    net.fabric.sendReliable = (from, to, p) => {
      sent += p.byteLength; // the stream, for packets too big for a datagram
      sendReliable(from, to, p);
    };
    for (const [i, n] of nodes.entries()) await n.start(i === 0 ? [] : ['g0']);
    await runFor(loop, nodes, 5000);
    nodes[3]!.broadcast(new Uint8Array(5000).fill(1));
    for (let k = 0; k < 20; k++) nodes[k]!.setKv(`key-${k}`, new Uint8Array(200));
    await runFor(loop, nodes, 20_000);
    expect(nodes[29]!.aliveMembers().length).toBe(30);
    // Well filled (the encryption overhead is reserved only when there is encryption), never over.
    expect(largest).toBeGreaterThan(460);
    expect(largest).toBeLessThanOrEqual(512);
    // The cores count what was sent (an upper bound, and a close one, encryption included or not).
    const counted = nodes.reduce((s, n) => s + n.coreStats.bytesOut, 0);
    expect(counted).toBeGreaterThanOrEqual(sent);
    expect(counted).toBeLessThan(sent * 1.15);
  });

  it('survives a link that corrupts 20% of packets: bad ones are dropped and counted, the cluster still forms', async () => {
    const { loop, net, nodes } = cluster(4);
    net.fabric.setDefaults({ corrupt: 0.2 });
    for (const [i, n] of nodes.entries()) await n.start(i === 0 ? [] : ['g0']);
    // Without a keyring nothing protects integrity: a flipped bit inside an id can make a
    // phantom member, which is then probed, found silent and removed like any dead one; a
    // flipped address is suspected and corrected by the refutation.
    const formed = () => nodes.every((n) => n.aliveMembers().map((m) => m.id).filter((id) => /^g[0-3]$/.test(id)).length === 4);
    loop.runFor(10_000);
    for (let t = 0; t < 20_000 && !formed(); t += 500) loop.runFor(500);
    const dropped = nodes.reduce((s, n) => s + n.stats.malformed + n.stats.wrongCluster, 0);
    expect(net.fabric.stats.corrupted).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    expect(formed()).toBe(true);
  });

  it('encrypts with the keyring: same keys talk, rotation works, a wrong key is shut out', async () => {
    const k1 = new Uint8Array(32).fill(1);
    const k2 = new Uint8Array(32).fill(2);
    const k3 = new Uint8Array(32).fill(3);
    const rings = [await GossipKeyring.create(k1, [k2]), await GossipKeyring.create(k2, [k1]), await GossipKeyring.create(k3)];
    const { loop, nodes } = cluster(3, (i) => ({ keyring: rings[i]! }));
    await nodes[0]!.start();
    await nodes[1]!.start(['g0']);
    await nodes[2]!.start(['g0']);
    await runFor(loop, nodes, 3000);
    expect(nodes[0]!.member('g1')?.state).toBe('alive');
    expect(nodes[1]!.member('g0')?.state).toBe('alive');
    expect(nodes[0]!.member('g2')).toBeUndefined();
    expect(nodes[0]!.stats.unauthenticated).toBeGreaterThan(0);
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('leaves gracefully, and rejects calls after stop', async () => {
    const { loop, nodes } = cluster(3);
    for (const [i, n] of nodes.entries()) await n.start(i === 0 ? [] : ['g0']);
    loop.runFor(3000);
    const left: string[] = [];
    nodes[0]!.on('leave', (m) => left.push(m.id));
    const done = nodes[2]!.leave();
    await loop.runForAsync(5000);
    await done;
    expect(left).toEqual(['g2']);
    expect(() => nodes[2]!.broadcast(new Uint8Array(1))).toThrow(/not running/);
  });

  it('gives the core wall-clock-based time with the default clock (so hosts agree on probe periods), a given clock as it is', async () => {
    const net = new MemoryGossipNetwork({ clock: new EventLoop().clock(), seed: 1 });
    const wall = new GossipNode({ id: 'w', transport: net.transport('w') });
    await wall.start();
    const at = wall.members()[0]!.stateChangedAt;
    await wall.stop();
    expect(Math.abs(at - Date.now())).toBeLessThan(60_000);
    const { loop, nodes } = cluster(1);
    loop.runFor(1234);
    await nodes[0]!.start();
    expect(nodes[0]!.members()[0]!.stateChangedAt).toBe(1234);
    await nodes[0]!.stop();
  });

  it('join() resolves with the members known once a seed answers, and rejects with a typed error when none can', async () => {
    const { loop, nodes } = cluster(5, () => ({ joinTimeoutMs: 3000 }));
    const [a, b, c, d, e] = nodes as [GossipNode, GossipNode, GossipNode, GossipNode, GossipNode];
    await a.start();
    await b.start(['g0']);
    loop.runFor(2000);
    await c.start();
    const cVia: string[] = [];
    c.on('joined', (via) => cVia.push(via));
    const ok = c.join(['g1']);
    await loop.runForAsync(1000);
    expect(await ok).toBe(3);
    expect(cVia).toEqual(['g1']);

    // The only seed is down: a TimeoutError after joinTimeoutMs; the attempts go on and succeed once it is up.
    await d.start();
    const dVia: string[] = [];
    d.on('joined', (via) => dVia.push(via));
    const early = d.join(['g4']).catch((err: unknown) => err);
    await loop.runForAsync(3000);
    expect(await early).toMatchObject({ code: 'TIMEOUT', definite: false });
    expect(dVia).toEqual([]);
    await e.start();
    await loop.runForAsync(3000);
    expect(dVia).toEqual(['g4']);
    expect(d.member('g4')?.state).toBe('alive');

    await expect(d.join([])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(d.join(['g3'])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const pending = d.join(['g0']).catch((err: unknown) => err);
    await d.stop();
    expect(await pending).toMatchObject({ code: 'STOPPED' });
    // start(seeds) ignores its join's promise: its timeout is no unhandled rejection (vitest would fail the run).
    const lone = new GossipNode({ id: 'lone', transport: new MemoryGossipNetwork({ clock: loop.clock() }).transport('lone'), clock: loop.clock(), joinTimeoutMs: 100 });
    await lone.start(['nowhere']);
    await loop.runForAsync(500);
    for (const n of [a, b, c, e, lone]) await n.stop();
  });

  it('rejects bad options with InvalidConfigError', () => {
    const net = new MemoryGossipNetwork();
    expect(() => new GossipNode({ id: 'a', transport: net.transport('a'), probeTimeoutMs: 5000 })).toThrow(/probeTimeoutMs: expected/);
    expect(() => new GossipNode({ id: 'b', transport: net.transport('b'), joinTimeoutMs: 0 })).toThrow(/joinTimeoutMs: expected/);
  });
});

describe('GossipKeyring', () => {
  it('binds the cluster id as authenticated data and refuses to drop its primary key', async () => {
    const k = new Uint8Array(32).fill(7);
    const ring = await GossipKeyring.create(k);
    const aad = new TextEncoder().encode('c1');
    const ct = await ring.encrypt(new Uint8Array([1, 2, 3]), aad);
    expect(await ring.decrypt(ct, aad)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await ring.decrypt(ct, new TextEncoder().encode('c2'))).toBeNull();
    ct[ct.length - 1]! ^= 1;
    expect(await ring.decrypt(ct, aad)).toBeNull();
    expect(() => ring.remove(k)).toThrow(/primary/);
    await expect(GossipKeyring.create(new Uint8Array(16))).rejects.toThrow(/32 bytes/);
  });
});
