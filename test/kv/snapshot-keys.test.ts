import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/codec/msgpack.js';
import { encodeKeyChunk, type KeyHistory } from '../../src/kv/snapshot-keys.js';
import type { Version } from '../../src/kv/store.js';

/** What the generic path packs for the same chunk. */
function generic(histories: readonly KeyHistory[]): Uint8Array {
  const enc = (v: Version) => [v.rev, v.kv === null ? null : [v.kv.value, v.kv.createRevision, v.kv.modRevision, v.kv.version, v.kv.lease]];
  return encodeValue([1, 'K', histories.map(([k, h]) => [k, h.map(enc)])]);
}

// Numbers across every msgpack width msgpackr picks: fixint, uint8/16/32 and float64 above 32 bits.
const num = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 32, 2 ** 53 - 1));
const asciiKey = fc.oneof(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }), fc.constantFrom('x'.repeat(31), 'y'.repeat(32), 'z'.repeat(255), 'w'.repeat(256), 'v'.repeat(70_000)));
const value = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(new Uint8Array(255), new Uint8Array(256), new Uint8Array(70_000)));
const version: fc.Arbitrary<Version> = fc.record({
  rev: num,
  kv: fc.option(fc.record({ key: fc.constant(''), value, createRevision: num, modRevision: num, version: num, lease: num }), { nil: null }),
});
const history: fc.Arbitrary<KeyHistory> = fc.tuple(asciiKey, fc.array(version, { maxLength: 20 }));

describe('snapshot key chunks written by hand', () => {
  it('are byte for byte what msgpackr packs, for every width of count, string, binary and number (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(history, { maxLength: 20 }), (hs) => {
        expect(Buffer.from(encodeKeyChunk(1, hs)!).equals(Buffer.from(generic(hs)))).toBe(true);
      }),
      { numRuns: 300 },
    );
    // Array headers of 16 and of 65,536 entries (array16 and array32).
    for (const n of [15, 16, 65_535, 65_536]) {
      const hs: KeyHistory[] = Array.from({ length: n }, (_, i) => [`k${i}`, []]);
      expect(Buffer.from(encodeKeyChunk(1, hs)!).equals(Buffer.from(generic(hs)))).toBe(true);
    }
  });

  it('leave what is outside the common shape to the generic packer', () => {
    const v = (rev: number): Version => ({ rev, kv: { key: 'k', value: new Uint8Array(1), createRevision: 1, modRevision: rev, version: 1, lease: -1 } });
    expect(encodeKeyChunk(1, [['clé', []]])).toBeNull();
    expect(encodeKeyChunk(1, [['k', [v(2)]]])).toBeNull();
    expect(encodeKeyChunk(1, [['k', [{ rev: 1.5, kv: null }]]])).toBeNull();
  });
});
