/**
 * A conformance suite for {@link RaftTransport} adapters, framework-agnostic
 * like the storage suite: each case is an async function that throws on
 * failure. It checks the contract of `RaftTransport`: messages arrive
 * intact at their addressee only, `send` never throws, spoofed and
 * malformed input is dropped, and nothing is delivered after `close()`.
 * @module
 */
import { EntryType, MsgType, type Message, type NodeId } from '../../raft/core/types.js';
import type { RaftTransport } from '../../transport/transport.js';
import type { ConformanceCase, TestFramework } from './storage.js';

/** A set of connected transports under test. */
export interface TransportUnderTest {
  /** One transport per id, all able to reach each other (called once per case, first). */
  open(ids: readonly NodeId[]): Promise<Record<NodeId, RaftTransport>>;
  /**
   * Let what was sent so far arrive: advance virtual time, or wait on real
   * sockets. After it resolves, messages sent before the call on a healthy
   * network must have been delivered.
   */
  settle(): Promise<void>;
  /** Deliver raw bytes to `to` as if `from` sent them, if the transport can (for the malformed-frame case). */
  injectRaw?(from: NodeId, to: NodeId, frame: Uint8Array): void;
  /** Release everything; called after each case. */
  dispose?(): Promise<void>;
}

/** Makes a fresh {@link TransportUnderTest} for each case. */
export type TransportFactory = () => TransportUnderTest | Promise<TransportUnderTest>;

type Inbox = Map<NodeId, Message[]>;

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(`Transport conformance: ${message}`);
}

async function startAll(ts: Record<NodeId, RaftTransport>): Promise<Inbox> {
  const inbox: Inbox = new Map();
  for (const [id, t] of Object.entries(ts)) {
    const box: Message[] = [];
    inbox.set(id, box);
    await t.start((m) => box.push(m));
  }
  return inbox;
}

const hb = (from: NodeId, to: NodeId, ctx: number): Message => ({ type: MsgType.Heartbeat, term: 3, from, to, commit: 7, ctx });

/** A message of each kind that carries bytes, nested arrays and strings. */
function richMessages(from: NodeId, to: NodeId): Message[] {
  const data = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
  return [
    { type: MsgType.App, term: 3, from, to, prevIndex: 4, prevTerm: 2, commit: 4, entries: [{ term: 3, index: 5, type: EntryType.Normal, data }, { term: 3, index: 6, type: EntryType.Noop, data: new Uint8Array(0) }] },
    { type: MsgType.Vote, term: 4, from, to, lastIndex: 6, lastTerm: 3, force: false },
    { type: MsgType.Snapshot, term: 3, from, to, index: 9, snapTerm: 3, config: { voters: [from, to], outgoing: [], learners: [], removed: [], epoch: 0, addresses: {} }, offset: 0, total: 4, data: new Uint8Array([1, 2, 3, 4]), done: true },
  ];
}

/** Compare with bytes as plain arrays (a decoded Uint8Array may be a Buffer view). */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, plain(x)]));
  return v;
}

type Body = (u: TransportUnderTest, ts: Record<NodeId, RaftTransport>, inbox: Inbox) => Promise<void>;

const CASES: ReadonlyArray<readonly [string, Body]> = [
  ['delivers messages intact to their addressee only', async (u, ts, inbox) => {
    const sent = richMessages('a', 'b');
    ts.a!.send(sent);
    await u.settle();
    check(JSON.stringify(plain(inbox.get('b'))) === JSON.stringify(plain(sent)), `b got ${JSON.stringify(plain(inbox.get('b'))).slice(0, 200)}`);
    check(inbox.get('c')!.length === 0 && inbox.get('a')!.length === 0, 'only the addressee receives');
  }],
  ['one send reaches several destinations', async (u, ts, inbox) => {
    ts.a!.send([hb('a', 'b', 1), hb('a', 'c', 2), hb('a', 'b', 3)]);
    await u.settle();
    check(inbox.get('b')!.map((m) => (m as { ctx: number }).ctx).sort().join() === '1,3', 'b gets both of its messages');
    check(inbox.get('c')!.length === 1, 'c gets its message');
  }],
  ['delivers every message of a burst on a healthy network', async (u, ts, inbox) => {
    for (let i = 1; i <= 200; i++) ts.a!.send([hb('a', 'b', i)]);
    await u.settle();
    const got = new Set(inbox.get('b')!.map((m) => (m as { ctx: number }).ctx));
    check(got.size === 200, `delivered ${got.size} of 200 distinct messages`);
  }],
  ['send never throws: empty, unknown peer, after close', async (u, ts) => {
    ts.a!.send([]);
    ts.a!.send([hb('a', 'nobody', 1)]);
    await ts.a!.close();
    ts.a!.send([hb('a', 'b', 2)]);
    await u.settle();
  }],
  ['nothing is delivered after close() resolves', async (u, ts, inbox) => {
    await ts.b!.close();
    ts.a!.send([hb('a', 'b', 1)]);
    await u.settle();
    check(inbox.get('b')!.length === 0, 'a closed transport delivered a message');
  }],
  ['a message whose from is not its sender is dropped', async (u, ts, inbox) => {
    ts.a!.send([hb('c', 'b', 1)]);
    await u.settle();
    check(inbox.get('b')!.every((m) => m.from !== 'c'), 'a message spoofing c was delivered');
  }],
  ['malformed frames are dropped, never thrown into the node', async (u, ts, inbox) => {
    if (u.injectRaw === undefined) return;
    for (const bytes of [new Uint8Array(0), new Uint8Array([0x92, 0x02, 0x90, 1, 2, 3, 4]), new Uint8Array(64).fill(0xc1)]) u.injectRaw('a', 'b', bytes);
    await u.settle();
    check(inbox.get('b')!.length === 0, 'a malformed frame reached the handler');
    ts.a!.send([hb('a', 'b', 9)]);
    await u.settle();
    check(inbox.get('b')!.length === 1, 'the receiver still works after malformed frames');
  }],
];

/**
 * The conformance cases, each on fresh transports `a`, `b`, `c` from `factory`.
 *
 * @example
 * ```ts
 * for (const c of transportConformanceCases(() => memoryTransportsUnderTest())) await c.run();
 * ```
 */
export function transportConformanceCases(factory: TransportFactory): ConformanceCase[] {
  return CASES.map(([name, body]) => ({
    name,
    run: async () => {
      const u = await factory();
      try {
        const ts = await u.open(['a', 'b', 'c']);
        await body(u, ts, await startAll(ts));
      } finally {
        await u.dispose?.();
      }
    },
  }));
}

/**
 * Declare the transport conformance cases as tests of your framework.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * runTransportSuite(() => myTransportsUnderTest(), { describe, it });
 * ```
 */
export function runTransportSuite(factory: TransportFactory, framework: TestFramework, name = 'RaftTransport conformance'): void {
  framework.describe(name, () => {
    for (const c of transportConformanceCases(factory)) framework.it(c.name, c.run);
  });
}
