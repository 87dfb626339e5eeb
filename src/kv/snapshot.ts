/**
 * Snapshots of the whole KV state (keys with their histories, leases,
 * sessions, replicated time) as a stream of msgpack chunks: a header, key
 * chunks of about a given size, and an end marker with a count. Every field
 * is validated on restore, and nothing is installed until the stream ended
 * well.
 * @module
 */
import { decodeValue, encodeValue } from '../codec/msgpack.js';
import { arr, bytes, fail, finite, str, uint } from '../codec/validate.js';
import { MAX_KEY_CHARS, MAX_VALUE_BYTES } from '../codec/kv.js';
import type { Clock } from '../clock.js';
import { DecodeError } from '../errors.js';
import type { Lease, LeaseTable } from './leases.js';
import { SessionResults, type Session, type SessionTable } from './sessions.js';
import type { KeySpace, KeyView, Version } from './store.js';
import { encodeKeyChunk, type KeyHistory } from './snapshot-keys.js';
import type { KeyValue } from './types.js';

const SNAPSHOT_VERSION = 1;
const MAX_CHUNK_BYTES = 256 * 1024 * 1024;

/** The live state a snapshot is taken from. */
export interface SnapshotState {
  readonly keys: KeySpace;
  readonly leases: LeaseTable;
  readonly sessions: SessionTable;
  readonly time: number;
  readonly applied: number;
}

/** A decoded snapshot, ready to install. */
export interface DecodedSnapshot {
  readonly revision: number;
  readonly compactRevision: number;
  readonly time: number;
  readonly applied: number;
  readonly leases: Lease[];
  readonly sessions: Session[];
  readonly histories: [string, Version[]][];
}

function encKv(kv: KeyValue | null): unknown {
  return kv === null ? null : [kv.value, kv.createRevision, kv.modRevision, kv.version, kv.lease];
}

function header(s: SnapshotState, view: KeyView): Uint8Array {
  const leases = s.leases.all().map((l) => [l.id, l.ttlMs, l.expiresAt, [...l.keys].sort()]);
  const sessions = s.sessions.all().map((x) => [x.id, x.lastActive, x.ackBelow, [...x.results]]);
  return encodeValue([SNAPSHOT_VERSION, 'H', view.revision, view.compactRevision, s.time, s.applied, leases, sessions]);
}

/** How a long snapshot job shares the event loop: `nextTurn` after every `keysPerTurn` keys. */
export interface SnapshotPace {
  readonly keysPerTurn: number;
  /** Let the event loop run (timers, sockets: Raft heartbeats) between slices of keys. */
  nextTurn(): Promise<void>;
}

/** A pace on `clock`'s timers. */
export function paceOn(clock: Clock, keysPerTurn: number): SnapshotPace {
  return { keysPerTurn, nextTurn: () => new Promise((resolve) => void clock.setTimeout(resolve, 0)) };
}

/**
 * Encode the state as chunks. The header (leases, sessions) is encoded at
 * the call and the key space captured there (a {@link KeyView}, O(1)); the
 * keys are encoded as the stream is read, yielding to the event loop every
 * `pace.keysPerTurn` keys, so a large state never blocks the node for
 * longer than an election timeout while later entries keep applying. Read
 * the stream to its end or call its `return()`: until then the key space
 * defers pruning compacted history.
 */
export function writeSnapshotChunks(s: SnapshotState, chunkBytes: number, pace: SnapshotPace): AsyncIterableIterator<Uint8Array> {
  const view = s.keys.capture();
  let head: Uint8Array;
  try {
    head = header(s, view);
  } catch (e) {
    view.release();
    throw e;
  }
  const gen = keyChunks(head, view, chunkBytes, pace);
  return {
    next: () => gen.next(),
    return: async () => {
      view.release();
      return gen.return(undefined);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function* keyChunks(head: Uint8Array, view: KeyView, chunkBytes: number, pace: SnapshotPace): AsyncGenerator<Uint8Array, undefined> {
  try {
    yield head;
    let batch: KeyHistory[] = [];
    let size = 0;
    let count = 0;
    for (const k of view.keys) {
      if (++count % pace.keysPerTurn === 0) await pace.nextTurn();
      // A copy: the view's array is valid only until the next write, and the batch outlives turns.
      const h = view.versions(k).slice();
      batch.push([k, h]);
      size += k.length + 16;
      for (const v of h) size += 32 + (v.kv?.value.byteLength ?? 0);
      if (size >= chunkBytes) {
        yield keyChunk(batch);
        batch = [];
        size = 0;
      }
    }
    if (batch.length > 0) yield keyChunk(batch);
    yield encodeValue([SNAPSHOT_VERSION, 'E', count]);
    return undefined;
  } finally {
    view.release();
  }
}

/** A key chunk: by hand in the common shape, else packed generically (the same bytes either way). */
function keyChunk(batch: readonly KeyHistory[]): Uint8Array {
  return encodeKeyChunk(SNAPSHOT_VERSION, batch) ?? encodeValue([SNAPSHOT_VERSION, 'K', batch.map(([k, h]) => [k, h.map((v) => [v.rev, encKv(v.kv)])])]);
}

function decKv(key: string, v: unknown, f: string): KeyValue | null {
  if (v === null) return null;
  const a = arr(v, f, 5);
  return {
    key,
    value: bytes(a[0], `${f}.value`, MAX_VALUE_BYTES),
    createRevision: uint(a[1], `${f}.createRevision`),
    modRevision: uint(a[2], `${f}.modRevision`),
    version: uint(a[3], `${f}.version`),
    lease: uint(a[4], `${f}.lease`),
  };
}

function decHistory(v: unknown, f: string): [string, Version[]] {
  const a = arr(v, f, 2);
  const key = str(a[0], `${f}.key`, MAX_KEY_CHARS);
  const h = arr(a[1], `${f}.versions`).map((x, i): Version => {
    const p = arr(x, `${f}.versions[${i}]`, 2);
    return { rev: uint(p[0], `${f}.rev`), kv: decKv(key, p[1], `${f}.kv`) };
  });
  if (h.length === 0) fail(`${f}.versions`, 'a non-empty history', h);
  for (let i = 1; i < h.length; i++) if (h[i]!.rev <= h[i - 1]!.rev) fail(`${f}.versions`, 'ascending revisions', h);
  return [key, h];
}

function decLease(v: unknown, i: number): Lease {
  const a = arr(v, `leases[${i}]`, 4);
  const keys = arr(a[3], `leases[${i}].keys`).map((k) => str(k, `leases[${i}].key`, MAX_KEY_CHARS));
  return { id: uint(a[0], 'lease.id'), ttlMs: uint(a[1], 'lease.ttlMs'), expiresAt: finite(a[2], 'lease.expiresAt'), keys: new Set(keys) };
}

function decSession(v: unknown, i: number): Session {
  const a = arr(v, `sessions[${i}]`, 4);
  const results = new SessionResults();
  for (const r of arr(a[3], `sessions[${i}].results`)) {
    const p = arr(r, 'session result', 2);
    const res = p[1] as { kind?: unknown } | null;
    if (typeof res !== 'object' || res === null || typeof res.kind !== 'string') fail('session result', 'a result object', res);
    results.set(uint(p[0], 'session result seq'), res);
  }
  return { id: uint(a[0], 'session.id'), lastActive: finite(a[1], 'session.lastActive'), ackBelow: uint(a[2], 'session.ackBelow'), results };
}

function frame(chunk: Uint8Array, kind: string): unknown[] {
  const a = arr(decodeValue(chunk, MAX_CHUNK_BYTES), 'chunk', 16);
  if (a[0] !== SNAPSHOT_VERSION) throw new DecodeError(`Unsupported snapshot version ${String(a[0])}`);
  if (a[1] !== kind) throw new DecodeError(`Expected a snapshot chunk of kind ${kind}, got ${String(a[1])}`);
  return a;
}

/** Read and validate a chunk stream; throws `DecodeError` if anything is malformed, missing or extra. */
export async function readSnapshotChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, pace: SnapshotPace): Promise<DecodedSnapshot> {
  let head: unknown[] | null = null;
  const histories: [string, Version[]][] = [];
  let ended = false;
  for await (const c of chunks) {
    if (ended) throw new DecodeError('Snapshot chunk after the end marker');
    if (head === null) {
      head = frame(c, 'H');
      continue;
    }
    const kind = arr(decodeValue(c, MAX_CHUNK_BYTES), 'chunk', 16)[1];
    if (kind === 'E') {
      if (uint(frame(c, 'E')[2], 'count') !== histories.length) throw new DecodeError('Snapshot key count does not match');
      ended = true;
    } else {
      for (const h of arr(frame(c, 'K')[2], 'keys')) {
        histories.push(decHistory(h, 'key'));
        if (histories.length % pace.keysPerTurn === 0) await pace.nextTurn();
      }
    }
  }
  if (head === null || !ended) throw new DecodeError('Snapshot stream ended early');
  for (let i = 1; i < histories.length; i++) if (histories[i]![0] <= histories[i - 1]![0]) throw new DecodeError('Snapshot keys out of order');
  return {
    revision: uint(head[2], 'revision'),
    compactRevision: uint(head[3], 'compactRevision'),
    time: finite(head[4], 'time'),
    applied: uint(head[5], 'applied'),
    leases: arr(head[6], 'leases').map(decLease),
    sessions: arr(head[7], 'sessions').map(decSession),
    histories,
  };
}

/** Frame a chunk stream into one buffer. */
export async function snapshotToBytes(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const all: Uint8Array[] = [];
  for await (const c of chunks) all.push(c);
  return encodeValue(all);
}

/** Split a buffer made by {@link snapshotToBytes} back into chunks. */
export function snapshotFromBytes(b: Uint8Array): Uint8Array[] {
  return arr(decodeValue(b, Number.MAX_SAFE_INTEGER), 'snapshot').map((c, i) => bytes(c, `chunk[${i}]`));
}
