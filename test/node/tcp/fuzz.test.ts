import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRaftFrame, encodeRaftFrame } from '../../../src/codec/raft.js';
import { pieceHeader, wholeFrame } from '../../../src/node/tcp/framing.js';
import { encodeHello, hello } from '../../../src/node/tcp/handshake.js';
import { TcpTransport } from '../../../src/node/tcp/transport.js';
import { EntryType, MsgType, type Message } from '../../../src/raft/core/types.js';
import { RawPeer, waitFor } from './helpers.js';

const LIMIT = 64 * 1024;
let b: TcpTransport;
let address: string;
const delivered: Message[] = [];

beforeAll(async () => {
  b = new TcpTransport({ id: 'b', clusterId: 'fuzz', maxFrameBytes: LIMIT, maxQueueBytes: LIMIT, chunkBytes: 1024, handshakeTimeoutMs: 3000 });
  address = await b.listen();
  await b.start((m) => delivered.push(m));
});
afterAll(async () => {
  await b.close();
});

const valid: Message[] = [
  { type: MsgType.Heartbeat, term: 3, from: 'a', to: 'b', commit: 2, ctx: 1 },
  { type: MsgType.App, term: 3, from: 'a', to: 'b', prevIndex: 1, prevTerm: 1, commit: 1, entries: [{ term: 3, index: 2, type: EntryType.Normal, data: Uint8Array.of(1, 2, 3) }] },
  { type: MsgType.Vote, term: 4, from: 'a', to: 'b', lastIndex: 2, lastTerm: 3, force: false },
];
const validFrame = encodeRaftFrame(valid);
const validHello = encodeHello(hello('fuzz', 'a', 'b'));

/** Valid bytes with some bytes overwritten, some cut off, or some appended. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat({ max: base.length }), fc.uint8Array({ maxLength: 8 }))
    .map(([flips, keep, tail]) => {
      const out = Uint8Array.from(base);
      for (const [at, v] of flips) out[at % out.length] = v;
      return Uint8Array.from([...out.subarray(0, Math.max(1, keep)), ...tail]);
    });
}
const garbage = (base: Uint8Array) => fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 200 }), mutated(base));

function decodes(payload: Uint8Array): number | null {
  try {
    return decodeRaftFrame(payload, LIMIT).length;
  } catch {
    return null;
  }
}

async function connected(): Promise<RawPeer> {
  const raw = await RawPeer.connect(address);
  await raw.handshake('fuzz', 'a', 'b');
  expect(raw.closed).toBe(false);
  return raw;
}

describe('TcpTransport under fuzzed input on a real socket', () => {
  it('random and mutated bytes before the handshake: no escape, the connection always ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 300 }), garbage(wholeFrame(validHello, 'control'))), async (bytes) => {
        const raw = await RawPeer.connect(address);
        raw.socket.end(bytes);
        expect(await waitFor(() => raw.closed, 5000)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('random and mutated frames after the handshake: delivered if they decode, else the connection is closed and counted', async () => {
    await fc.assert(
      fc.asyncProperty(garbage(validFrame), async (payload) => {
        const before = b.stats();
        const raw = await connected();
        raw.socket.write(wholeFrame(payload, 'control'));
        const n = decodes(payload);
        if (n === null) {
          expect(await waitFor(() => raw.closed, 5000)).toBe(true);
          const after = b.stats();
          expect(after.malformedFrames).toBe(before.malformedFrames + 1);
          expect(after.connectionErrors).toBe(before.connectionErrors + 1);
        } else {
          const seen = () => b.stats().messagesDelivered + b.stats().spoofedMessages;
          expect(await waitFor(() => seen() === before.messagesDelivered + before.spoofedMessages + n, 5000)).toBe(true);
          expect(raw.closed).toBe(false);
        }
        raw.destroy();
      }),
      { numRuns: 80 },
    );
  });

  it('random bytes after the handshake never escape and the connection ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 500 }), async (bytes) => {
        const raw = await connected();
        raw.socket.end(bytes);
        expect(await waitFor(() => raw.closed, 5000)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('an oversized length closes the connection from the header alone', async () => {
    for (const lane of ['control', 'bulk'] as const) {
      const before = b.stats().connectionErrors;
      const raw = await connected();
      raw.socket.write(pieceHeader(LIMIT + 1, lane, false));
      expect(await waitFor(() => raw.closed, 5000)).toBe(true);
      expect(b.stats().connectionErrors).toBe(before + 1);
    }
    const before = b.stats().connectionErrors;
    const raw = await RawPeer.connect(address);
    raw.socket.write(pieceHeader(0x7fffffff, 'control', false));
    expect(await waitFor(() => raw.closed, 5000)).toBe(true);
    expect(b.stats().connectionErrors).toBe(before + 1);
  });

  it('still serves a well-behaved peer afterwards', async () => {
    const count = delivered.length;
    const raw = await connected();
    raw.sendMessages(valid);
    expect(await waitFor(() => delivered.length === count + valid.length)).toBe(true);
    raw.destroy();
    expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
  });
});
