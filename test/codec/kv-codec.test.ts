import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGeneric, decodeKvCommand, encodeKvCommand, type CommandHeader, KV_CODEC_VERSION, KvTag, MAX_KEY_CHARS } from '../../src/codec/kv.js';
import { encodeValue } from '../../src/codec/msgpack.js';
import { isQuorumkitError } from '../../src/errors.js';

/** Decode through both paths: the same command, or both a DecodeError. */
function both(data: Uint8Array): { fast: unknown; slow: unknown } {
  const run = (f: (d: Uint8Array) => unknown): unknown => {
    try {
      return f(data);
    } catch (e) {
      if (!isQuorumkitError(e, 'DECODE')) throw e;
      return 'DecodeError';
    }
  };
  return { fast: run(decodeKvCommand), slow: run(decodeGeneric) };
}

const uintArb = fc.oneof(fc.nat({ max: 200 }), fc.nat({ max: 0xffffffff }), fc.maxSafeNat());
const tsArb = fc.oneof(uintArb, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -(2 ** 31), max: -1 }));
const headerArb: fc.Arbitrary<CommandHeader> = fc.record({ ts: tsArb, session: uintArb, seq: uintArb, ack: uintArb });
const keyArb = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 30, maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 8 }));
const valueArb = fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ minLength: 250, maxLength: 70_000 }));

describe('KV command codec: the put fast path', () => {
  it('writes a put byte for byte as msgpackr writes the generic array, and reads it back (fast-check)', () => {
    fc.assert(
      fc.property(headerArb, keyArb, valueArb, uintArb, (h, key, value, lease) => {
        const bytes = encodeKvCommand(h, { type: 'put', key, value, lease });
        expect(bytes).toBeInstanceOf(Uint8Array);
        expect([...bytes]).toEqual([...encodeValue([KV_CODEC_VERSION, KvTag.Put, h.ts, h.session, h.seq, h.ack, key, value, lease])]);
        const cmd = decodeKvCommand(bytes);
        // msgpack has no -0 (msgpackr writes it as 0): -0 + 0 is 0.
        expect(cmd).toEqual({ type: 'put', key, value, lease, ...h, ts: h.ts + 0 });
        expect(Object.getPrototypeOf((cmd as { value: Uint8Array }).value)).toBe(Uint8Array.prototype);
        expect(decodeGeneric(bytes)).toEqual(cmd);
      }),
      { numRuns: 300 },
    );
  });

  it('a put read from a Node Buffer yields a plain Uint8Array value, as the generic path does', () => {
    const bytes = encodeKvCommand({ ts: 1.5e12, session: 3, seq: 4, ack: 4 }, { type: 'put', key: 'k/1', value: new Uint8Array([1, 2, 3]), lease: 0 });
    const cmd = decodeKvCommand(Buffer.from(bytes)) as { value: Uint8Array };
    expect(Object.getPrototypeOf(cmd.value)).toBe(Uint8Array.prototype);
    expect([...cmd.value]).toEqual([1, 2, 3]);
  });

  it('commands encoded one after another do not overwrite each other', () => {
    const cmds = Array.from({ length: 1500 }, (_, i) => encodeKvCommand({ ts: i, session: 1, seq: i, ack: i }, { type: 'put', key: `k${i}`, value: new Uint8Array(40).fill(i & 0xff), lease: 0 }));
    cmds.forEach((c, i) => expect(decodeKvCommand(c)).toMatchObject({ key: `k${i}`, seq: i, value: new Uint8Array(40).fill(i & 0xff) }));
  });

  it('a key longer than the limit is refused, on either path', () => {
    const bytes = encodeValue([KV_CODEC_VERSION, KvTag.Put, 1, 1, 1, 1, 'k'.repeat(MAX_KEY_CHARS + 1), new Uint8Array(1), 0]);
    expect(both(bytes)).toEqual({ fast: 'DecodeError', slow: 'DecodeError' });
  });

  it('malformed or mutated puts: both paths agree (the same command, or a DecodeError), never another throw (fast-check)', () => {
    const valid = fc.tuple(headerArb, keyArb, fc.uint8Array({ maxLength: 80 }), uintArb).map(([h, key, value, lease]) => encodeKvCommand(h, { type: 'put', key, value, lease }));
    const mutated = fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), fc.boolean()).map(([b, edits, cut, truncate]) => {
      const c = Uint8Array.from(b);
      for (const [at, v] of edits) c[at % c.length] = v;
      return truncate ? c.subarray(0, cut % (c.length + 1)) : c;
    });
    const odd = fc.tuple(fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything()).map((v) => encodeValue([KV_CODEC_VERSION, KvTag.Put, ...v]));
    const raw = fc.uint8Array({ maxLength: 40 }).map((b) => Uint8Array.from([0x99, 1, 1, ...b]));
    fc.assert(
      fc.property(fc.oneof(mutated, odd, raw), (bytes) => {
        const r = both(bytes);
        expect(r.fast).toEqual(r.slow);
      }),
      { numRuns: 3000 },
    );
  });
});
