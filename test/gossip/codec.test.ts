import { describe, expect, it } from 'vitest';
import { decodeGossipPacket, encodeGossipPacket, envelopeSize, estimateSize, type GossipMsg } from '../../src/codec/gossip.js';
import { encodeValue } from '../../src/codec/msgpack.js';
import { isQuorumkitError } from '../../src/errors.js';

const limits = { maxPacketBytes: 65_536, maxMetaBytes: 512 };
const all: GossipMsg[] = [
  { t: 'ping', seq: 7, target: 'b' },
  { t: 'ack', seq: 7 },
  { t: 'nack', seq: 9 },
  { t: 'pingReq', seq: 3, target: 'c', addr: '10.0.0.3:7946' },
  { t: 'alive', id: 'a', inc: 4, addr: 'a:1', meta: new Uint8Array([1, 2]) },
  { t: 'suspect', id: 'a', inc: 4, by: 'b' },
  { t: 'dead', id: 'a', inc: 5, by: 'b', left: true },
  { t: 'user', origin: 'a', mid: 1, idx: 0, total: 2, data: new Uint8Array(100) },
  { t: 'kv', owner: 'a', key: 'svc/web', ver: 3, value: null },
  { t: 'kv', owner: 'a', key: 'svc/db', ver: 4, value: new Uint8Array([9]) },
  { t: 'syncReq', epoch: 11, seq: 5, since: 2, sinceEpoch: 10, until: 0, reply: true },
  { t: 'syncResp', epoch: 11, seq: 5, lo: 1, hi: 3 },
  { t: 'digest', level: 0, items: [], hashes: new Uint8Array(128).fill(0xab) },
  { t: 'digest', level: 1, items: [3, 31], hashes: new Uint8Array(256).fill(1) },
  { t: 'digest', level: 2, items: [0, 500, 1023], hashes: new Uint8Array(0) },
  { t: 'digest', level: 3, items: [], hashes: new Uint8Array(0) },
];

function expectDecodeError(bytes: Uint8Array): void {
  let err: unknown;
  try { decodeGossipPacket(bytes, limits); } catch (e) { err = e; }
  expect(isQuorumkitError(err, 'DECODE')).toBe(true);
}

describe('gossip wire codec', () => {
  it('round-trips every message kind', () => {
    const env = decodeGossipPacket(encodeGossipPacket('c1', 'a', all), limits);
    expect(env.clusterId).toBe('c1');
    expect(env.from).toBe('a');
    // Node's msgpackr hands back Buffers (Uint8Array subclasses): compare as plain Uint8Arrays.
    const norm = (ms: GossipMsg[]) => ms.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v])));
    expect(norm(env.msgs)).toEqual(norm(all));
    expect(env.msgs[4]).toMatchObject({ t: 'alive', meta: expect.any(Uint8Array) });
  });

  it('size estimates bound the encoded size', () => {
    // Plaintext: encryption (when a keyring is set) is counted by the core on top of this bound.
    const est = all.reduce((s, m) => s + estimateSize(m), envelopeSize('c1', 'a'));
    expect(encodeGossipPacket('c1', 'a', all).byteLength).toBeLessThanOrEqual(est);
    for (const m of all) {
      const exact = encodeGossipPacket('c', 'a', [m]).byteLength - encodeGossipPacket('c', 'a', []).byteLength;
      expect(exact).toBeLessThanOrEqual(estimateSize(m));
      expect(estimateSize(m) - exact).toBeLessThanOrEqual(4); // tight, so packets are well filled
    }
    const big = { t: 'alive' as const, id: 'é'.repeat(40), inc: 2 ** 31, addr: 'x'.repeat(300), meta: new Uint8Array(300) };
    expect(encodeGossipPacket('c', 'a', [big]).byteLength - encodeGossipPacket('c', 'a', []).byteLength).toBeLessThanOrEqual(estimateSize(big));
  });

  it('rejects malformed packets with DecodeError, never anything else', () => {
    expectDecodeError(new Uint8Array([0xc1]));
    expectDecodeError(encodeValue([2, 'c', 'a', []]));
    expectDecodeError(encodeValue([1, 'c', '', []]));
    expectDecodeError(encodeValue([1, 'c', 'a', [[99, 1]]]));
    expectDecodeError(encodeValue([1, 'c', 'a', [[1, -1, 'b']]]));
    expectDecodeError(encodeValue([1, 'c', 'a', [[5, 'x', 2 ** 40, 'x', new Uint8Array(0)]]]));
    expectDecodeError(encodeValue([1, 'c', 'a', [[8, 'x', 1, 5, 2, new Uint8Array(1)]]]));
    expectDecodeError(encodeValue([1, 'c', 'a', [[5, 'x', 1, 'x', new Uint8Array(600)]]]));
    expectDecodeError(encodeValue({ not: 'an array' }));
    // Digests: a level out of range, a top bucket or leaf out of range, hashes of the wrong length.
    expectDecodeError(encodeValue([1, 'c', 'a', [[12, 4, [], new Uint8Array(0)]]]));
    expectDecodeError(encodeValue([1, 'c', 'a', [[12, 1, [32], new Uint8Array(128)]]]));
    expectDecodeError(encodeValue([1, 'c', 'a', [[12, 2, [1024], new Uint8Array(0)]]]));
    expectDecodeError(encodeValue([1, 'c', 'a', [[12, 0, [], new Uint8Array(127)]]]));
    expectDecodeError(encodeValue([1, 'c', 'a', [[12, 1, [2], new Uint8Array(128 * 2)]]]));
  });

  it('survives random garbage', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 2000; i++) {
      const buf = new Uint8Array(1 + Math.floor(rnd() * 64)).map(() => Math.floor(rnd() * 256));
      try { decodeGossipPacket(buf, limits); } catch (e) { expect(isQuorumkitError(e, 'DECODE')).toBe(true); }
    }
  });
});
