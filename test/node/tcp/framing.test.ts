import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRaftFrame } from '../../../src/codec/raft.js';
import { isQuorumkitError } from '../../../src/errors.js';
import { FrameParser, HEADER_BYTES, pieceHeader, wholeFrame, type ParsedFrame } from '../../../src/node/tcp/framing.js';
import { SendQueue, type QueuedFrame } from '../../../src/node/tcp/send-queue.js';
import { backoffDelay } from '../../../src/node/tcp/peer.js';
import { resolveTcpOptions } from '../../../src/node/tcp/options.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);
const concat = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

/** Feed `input` to a parser in pieces cut at `cuts`; returns frames or the error. */
function parseInPieces(input: Uint8Array, cuts: number[], limit: number): { frames: ParsedFrame[]; error: unknown; held: number[] } {
  const p = new FrameParser(limit);
  const frames: ParsedFrame[] = [];
  const held: number[] = [];
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  try {
    for (const c of [...points, input.length]) {
      frames.push(...p.push(input.subarray(prev, c)));
      held.push(p.heldBytes);
      prev = c;
    }
  } catch (e) {
    return { frames, error: e, held };
  }
  return { frames, error: null, held };
}

describe('FrameParser', () => {
  it('reassembles pieces of two lanes interleaved', () => {
    const wire = concat([pieceHeader(3, 'bulk', true), bytes(3, 9), wholeFrame(bytes(2, 5), 'control'), pieceHeader(1, 'bulk', false), bytes(1, 8)]);
    const { frames, error } = parseInPieces(wire, [1, 4, 7, 12], 100);
    expect(error).toBeNull();
    expect(frames.map((f) => [f.lane, [...f.payload]])).toEqual([
      ['control', [5, 5]],
      ['bulk', [9, 9, 9, 8]],
    ]);
  });

  it('refuses an oversized length from the header alone, before any payload arrives', () => {
    const p = new FrameParser(1024);
    expect(() => p.push(pieceHeader(0xffffffff, 'control', false))).toThrow(/exceeds the limit/);
    expect(p.heldBytes).toBe(0);
    expect(() => p.push(bytes(1))).toThrow();
  });

  it('does not let a small frame pin the larger read it came in', () => {
    const read = concat([wholeFrame(bytes(10), 'control'), pieceHeader(60_000, 'bulk', false), bytes(50_000)]);
    const [f] = new FrameParser(100_000).push(read);
    expect(f!.payload.byteLength).toBe(10);
    expect(f!.payload.buffer.byteLength).toBeLessThan(1000);
  });

  it('passes an empty frame through (the codec refuses it)', () => {
    expect(new FrameParser(10).push(wholeFrame(new Uint8Array(0), 'control')).map((f) => f.payload.byteLength)).toEqual([0]);
  });

  it('refuses pieces that together exceed the limit, and unknown flags', () => {
    const p = new FrameParser(10);
    p.push(concat([pieceHeader(8, 'bulk', true), bytes(8)]));
    expect(() => p.push(pieceHeader(3, 'bulk', false))).toThrow(/exceeds/);
    expect(() => new FrameParser(10).push(Uint8Array.of(0, 0, 0, 1, 0x80, 0))).toThrow(/flags/);
  });

  it('fuzz: random bytes cut anywhere yield frames or a TransportError, and memory stays within the limit', () => {
    const limit = 4096;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 8 }), (input, cuts) => {
        const r = parseInPieces(input, cuts, limit);
        if (r.error !== null) expect(isQuorumkitError(r.error, 'TRANSPORT')).toBe(true);
        for (const h of r.held) expect(h).toBeLessThanOrEqual(input.length);
        for (const f of r.frames) {
          expect(f.payload.byteLength).toBeLessThanOrEqual(limit);
          try {
            decodeRaftFrame(f.payload, limit);
          } catch (e) {
            expect(isQuorumkitError(e, 'DECODE')).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: the same bytes give the same frames however they are cut', () => {
    const frameArb = fc.tuple(fc.uint8Array({ maxLength: 50 }), fc.constantFrom('control', 'bulk' as const)).map(([p, lane]) => wholeFrame(p, lane));
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, cuts) => {
        const wire = concat(frames);
        const whole = parseInPieces(wire, [], 1000);
        const cut = parseInPieces(wire, cuts, 1000);
        expect([whole.error, cut.error]).toEqual([null, null]);
        expect(cut.frames.map((f) => [...f.payload])).toEqual(whole.frames.map((f) => [...f.payload]));
        expect(whole.frames.length).toBe(frames.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('SendQueue', () => {
  const frame = (lane: 'control' | 'bulk', n: number): QueuedFrame => ({ lane, payload: bytes(n), messages: 1 });

  it('writes control frames before the next piece of a chunked bulk frame', () => {
    const q = new SendQueue(1 << 20, 100, 10, () => undefined);
    q.push(frame('bulk', 35));
    const first = q.nextPiece()!;
    expect(first[0]![4]).toBe(3); // bulk | more
    q.push(frame('control', 4));
    expect(q.nextPiece()!.length).toBe(1); // the whole control frame
    const rest: number[] = [];
    for (let p = q.nextPiece(); p !== null; p = q.nextPiece()) rest.push(p[p.length - 1]!.byteLength - (p.length === 1 ? HEADER_BYTES : 0));
    expect(rest).toEqual([10, 10, 5]);
    expect(q.bytes).toBe(0);
  });

  it('drops the oldest frames, bulk first, beyond its bounds', () => {
    const dropped: QueuedFrame[] = [];
    const q = new SendQueue(100, 3, 50, (f) => dropped.push(f));
    q.push(frame('control', 10));
    q.push(frame('bulk', 60));
    q.push(frame('bulk', 20));
    q.push(frame('control', 40)); // 130 bytes: the oldest bulk frame goes
    expect(dropped.map((f) => f.payload.byteLength)).toEqual([60]);
    q.push(frame('control', 1)); // 4 frames: the remaining bulk frame goes
    expect(dropped.map((f) => f.payload.byteLength)).toEqual([60, 20]);
    expect(q.frames).toBe(3);
    expect(q.bytes).toBe(51);
  });

  it('counts a half-written bulk frame as dropped when the connection breaks', () => {
    const dropped: QueuedFrame[] = [];
    const q = new SendQueue(1000, 10, 10, (f) => dropped.push(f));
    q.push(frame('bulk', 25));
    q.nextPiece();
    q.abandonPartial();
    expect(dropped.length).toBe(1);
    expect(q.bytes).toBe(0);
    expect(q.nextPiece()).toBeNull();
  });
});

describe('TcpTransport options and backoff', () => {
  it('backoff doubles to its cap, jittered within [cap/2, cap)', () => {
    const o = { backoffBaseMs: 50, backoffMaxMs: 1000, random: () => 0.999 };
    const caps = [0, 1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, { ...o, random: () => 0 }) * 2);
    expect(caps).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(2, o)).toBeLessThan(200);
  });

  it('refuses inconsistent options with "expected … got …"', () => {
    expect(() => resolveTcpOptions({ id: '', clusterId: 'x' })).toThrow(/id: expected/);
    expect(() => resolveTcpOptions({ id: 'a', clusterId: 'x', chunkBytes: 10, maxFrameBytes: 5, maxQueueBytes: 100 })).toThrow(/chunkBytes: expected at most maxFrameBytes/);
    expect(() => resolveTcpOptions({ id: 'a', clusterId: 'x', maxQueueBytes: 10 })).toThrow(/maxQueueBytes/);
    expect(() => resolveTcpOptions({ id: 'a', clusterId: 'x', peers: { b: 'nohost' } })).toThrow(/peers.b: expected/);
    expect(() => resolveTcpOptions({ id: 'a', clusterId: 'x', backoffBaseMs: 10, backoffMaxMs: 5 })).toThrow(/backoffMaxMs/);
    expect(resolveTcpOptions({ id: 'a', clusterId: 'x', peers: { b: '[::1]:7000' } }).peers).toEqual({ b: '[::1]:7000' });
  });
});
