import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRaftFrame, encodeRaftFrame, RAFT_PROTOCOL_VERSION } from '../../src/codec/raft.js';
import { crc32c } from '../../src/util/crc32c.js';

const V = RAFT_PROTOCOL_VERSION;
import { encodeValue } from '../../src/codec/msgpack.js';
import { isQuorumkitError } from '../../src/errors.js';
import { EntryType, MsgType, type Entry, type Message } from '../../src/raft/core/types.js';

const idArb = fc.string({ minLength: 1, maxLength: 12 });
const u = fc.nat({ max: 2 ** 40 });
const entryArb: fc.Arbitrary<Entry> = fc
  .record({
    term: u,
    index: u,
    type: fc.constantFrom(EntryType.Normal, EntryType.Config, EntryType.Noop),
    data: fc.uint8Array({ maxLength: 40 }),
    fwd: fc.option(fc.tuple(idArb, u), { nil: undefined }),
  })
  .map(({ fwd, ...e }) => (fwd ? { ...e, origin: fwd[0], seq: fwd[1] } : e));
const base = { term: u, from: idArb, to: idArb };

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constantFrom(MsgType.Vote, MsgType.PreVote), ...base, lastIndex: u, lastTerm: u, force: fc.boolean() }),
  fc.record({ type: fc.constantFrom(MsgType.VoteResp, MsgType.PreVoteResp), ...base, reject: fc.boolean() }),
  fc.record({ type: fc.constant(MsgType.App), ...base, prevIndex: u, prevTerm: u, entries: fc.array(entryArb, { maxLength: 5 }), commit: u }),
  fc.record({ type: fc.constant(MsgType.AppResp), ...base, index: u, reject: fc.boolean(), hintIndex: u, hintTerm: u }),
  fc.record({ type: fc.constant(MsgType.Heartbeat), ...base, commit: u, ctx: u }),
  fc.record({ type: fc.constant(MsgType.HeartbeatResp), ...base, ctx: u }),
  fc.record({ type: fc.constant(MsgType.Prop), ...base, entries: fc.array(entryArb, { maxLength: 5 }) }),
  fc.record({ type: fc.constant(MsgType.ReadIndex), ...base, ctx: u }),
  fc.record({ type: fc.constant(MsgType.ReadIndexResp), ...base, ctx: u, index: u }),
  fc.record({ type: fc.constant(MsgType.TimeoutNow), ...base }),
) as fc.Arbitrary<Message>;

/** Compare with data as plain arrays (decoded bytes may be Buffer views). */
function plain(m: unknown): unknown {
  if (m instanceof Uint8Array) return Array.from(m);
  if (Array.isArray(m)) return m.map(plain);
  if (typeof m === 'object' && m !== null) return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, plain(v)]));
  return m;
}

/** A msgpack value framed as the codec frames it: with its CRC-32C trailer. */
function framed(v: unknown): Uint8Array {
  const body = encodeValue(v);
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32c(body), true);
  return out;
}

function decodesOrDecodeError(frame: Uint8Array): void {
  try {
    decodeRaftFrame(frame);
  } catch (e) {
    expect(isQuorumkitError(e, 'DECODE')).toBe(true);
  }
}

describe('Raft wire codec', () => {
  it('round-trips every message type', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 6 }), (msgs) => {
        expect(plain(decodeRaftFrame(encodeRaftFrame(msgs)))).toEqual(plain(msgs));
      }),
      { numRuns: 500 },
    );
  });

  it('leads every frame with the protocol version and refuses others', () => {
    expect(() => decodeRaftFrame(encodeValue([RAFT_PROTOCOL_VERSION + 1, []]))).toThrow(/version/);
  });

  it('rejects oversized frames by size before decoding', () => {
    const big = encodeRaftFrame([{ type: MsgType.Prop, term: 1, from: 'a', to: 'b', entries: [{ term: 1, index: 1, type: 0, data: new Uint8Array(2000) }] }]);
    expect(() => decodeRaftFrame(big, 1000)).toThrow(/exceeds/);
  });

  it('rejects wrong field types and ranges with DecodeError', () => {
    const bad = [
      [V, [[MsgType.Heartbeat, -1, 'a', 'b', 0, 0]]],
      [V, [[MsgType.Heartbeat, 1.5, 'a', 'b', 0, 0]]],
      [V, [[MsgType.Heartbeat, 1, '', 'b', 0, 0]]],
      [V, [[MsgType.Heartbeat, 1, 'a', 'b', 0]]],
      [V, [[99, 1, 'a', 'b']]],
      [V, [[MsgType.VoteResp, 1, 'a', 'b', 'yes']]],
      [V, [[MsgType.App, 1, 'a', 'b', 0, 0, [[1], [1], [0], [5], new Uint8Array(2), null, null], 0]]],
      [V, [[MsgType.App, 1, 'a', 'b', 0, 0, [[1], [1], [7], [0], new Uint8Array(0), null, null], 0]]],
      [V, 'x'],
      'not a frame',
    ];
    for (const v of bad) {
      let err: unknown;
      try {
        decodeRaftFrame(framed(v));
      } catch (e) {
        err = e;
      }
      expect(isQuorumkitError(err, 'DECODE'), JSON.stringify(v)).toBe(true);
    }
  });

  it('rejects every single-bit flip of a valid frame by its CRC-32C', () => {
    const frame = encodeRaftFrame([{ type: MsgType.App, term: 3, from: 'a', to: 'b', prevIndex: 4, prevTerm: 2, commit: 4, entries: [{ term: 3, index: 5, type: 0, data: new Uint8Array([1, 2, 3]) }] }]);
    expect(decodeRaftFrame(frame)).toHaveLength(1);
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const bad = frame.slice();
      bad[bit >> 3] = bad[bit >> 3]! ^ (1 << (bit & 7));
      expect(() => decodeRaftFrame(bad), `bit ${bit}`).toThrow(/CRC|version|too short/);
    }
    expect(() => decodeRaftFrame(frame.subarray(0, frame.length - 1))).toThrow(/CRC/);
  });

  it('random bytes never escape as anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (b) => decodesOrDecodeError(b)), { numRuns: 2000 });
  });

  it('mutated valid frames never escape as anything but DecodeError', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }), (msgs, flips) => {
        const frame = encodeRaftFrame(msgs).slice();
        for (const [pos, val] of flips) frame[pos % frame.length] = val;
        decodesOrDecodeError(frame);
      }),
      { numRuns: 1000 },
    );
  });
});
