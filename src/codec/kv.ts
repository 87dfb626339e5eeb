/**
 * Wire format of the KV state machine's commands: a versioned msgpack array
 * `[version, tag, ts, session, seq, ack, ...body]`, every field validated on
 * decode. Numeric tags are only ever appended, never reused.
 * @module
 */
import { DecodeError } from '../errors.js';
import type { Compare, CompareOp, CompareTarget, KeySelector, TxnOp } from '../kv/types.js';
import { decodeValue, encodeValue } from './msgpack.js';
import { asciiBytes, binBytes, isAscii, isUint, uintBytes, writeAscii, writeBin, writeNum } from './msgpack-write.js';
import { arr, bool, bytes, fail, finite, id, str, uint } from './validate.js';

/** Version of the KV command format. */
export const KV_CODEC_VERSION = 1;
/** Longest key accepted on the wire, UTF-16 units. */
export const MAX_KEY_CHARS = 8192;
/** Largest value accepted on the wire, bytes. */
export const MAX_VALUE_BYTES = 8 * 1024 * 1024;
/** Most operations or compares in one transaction branch. */
export const MAX_TXN_OPS = 1024;

/** Numeric command tags (append only). */
export const KvTag = {
  Put: 1,
  Delete: 2,
  Txn: 3,
  Compact: 4,
  LeaseGrant: 5,
  LeaseRevoke: 6,
  LeaseKeepAlive: 7,
  LeaseExpire: 8,
  SessionOpen: 9,
  SessionClose: 10,
  Ext: 11,
} as const;

/** Who sent a command: replicated time and the exactly-once session fields (session 0: none). */
export interface CommandHeader {
  /** Proposer's clock, ms; the state machine keeps the maximum seen (replicated time). */
  readonly ts: number;
  /** Session id, or 0 for a command outside any session. */
  readonly session: number;
  /** Sequence number of the command in its session (from 1). */
  readonly seq: number;
  /** Every sequence number below this one has been answered to the client; their results may be forgotten. */
  readonly ack: number;
}

/** The body of a command. */
export type CommandBody =
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array; readonly lease: number }
  | { readonly type: 'delete'; readonly sel: KeySelector }
  | { readonly type: 'txn'; readonly compare: readonly Compare[]; readonly success: readonly TxnOp[]; readonly failure: readonly TxnOp[] }
  | { readonly type: 'compact'; readonly revision: number }
  | { readonly type: 'leaseGrant'; readonly ttlMs: number }
  | { readonly type: 'leaseRevoke'; readonly id: number }
  | { readonly type: 'leaseKeepAlive'; readonly id: number }
  | { readonly type: 'leaseExpire'; readonly ids: readonly number[] }
  | { readonly type: 'sessionOpen' }
  | { readonly type: 'sessionClose' }
  | { readonly type: 'ext'; readonly name: string; readonly payload: unknown };

/** A decoded command. */
export type KvCommand = CommandHeader & CommandBody;

const TARGETS: readonly CompareTarget[] = ['value', 'version', 'createRevision', 'modRevision', 'lease'];
const OPS: readonly CompareOp[] = ['=', '!=', '<', '>'];

function encSel(s: KeySelector): unknown[] {
  return [s.key, s.end ?? null, s.prefix === true];
}

function encOp(op: TxnOp): unknown[] {
  if (op.type === 'put') return [1, op.key, op.value, op.lease ?? 0];
  if (op.type === 'delete') return [2, ...encSel(op)];
  return [3, ...encSel(op), op.limit ?? 0];
}

function encBody(b: CommandBody): unknown[] {
  switch (b.type) {
    case 'put': return [KvTag.Put, b.key, b.value, b.lease];
    case 'delete': return [KvTag.Delete, ...encSel(b.sel)];
    case 'txn': return [KvTag.Txn, b.compare.map((c) => [c.key, TARGETS.indexOf(c.target), OPS.indexOf(c.op), c.value]), b.success.map(encOp), b.failure.map(encOp)];
    case 'compact': return [KvTag.Compact, b.revision];
    case 'leaseGrant': return [KvTag.LeaseGrant, b.ttlMs];
    case 'leaseRevoke': return [KvTag.LeaseRevoke, b.id];
    case 'leaseKeepAlive': return [KvTag.LeaseKeepAlive, b.id];
    case 'leaseExpire': return [KvTag.LeaseExpire, b.ids];
    case 'sessionOpen': return [KvTag.SessionOpen];
    case 'sessionClose': return [KvTag.SessionClose];
    case 'ext': return [KvTag.Ext, b.name, b.payload];
  }
}

/** Encode a command for `RaftNode.propose`. */
export function encodeKvCommand(h: CommandHeader, body: CommandBody): Uint8Array {
  if (body.type === 'put') {
    const fast = encodePut(h, body.key, body.value, body.lease);
    if (fast !== null) return fast;
  }
  const b = encBody(body);
  const out: unknown[] = [KV_CODEC_VERSION, b[0], h.ts, h.session, h.seq, h.ack];
  for (let i = 1; i < b.length; i++) out.push(b[i]);
  return encodeValue(out);
}

const key = (v: unknown, f: string): string => str(v, f, MAX_KEY_CHARS);

function decSel(a: unknown[], at: number, f: string): KeySelector {
  const k = key(a[at], `${f}.key`);
  const end = a[at + 1];
  const prefix = bool(a[at + 2], `${f}.prefix`);
  if (end === null) return prefix ? { key: k, prefix } : { key: k };
  if (prefix) fail(`${f}.end`, 'null with prefix', end);
  return { key: k, end: key(end, `${f}.end`) };
}

function decOp(v: unknown, f: string): TxnOp {
  const a = arr(v, f, 8);
  switch (a[0]) {
    case 1: return { type: 'put', key: key(a[1], `${f}.key`), value: bytes(a[2], `${f}.value`, MAX_VALUE_BYTES), lease: uint(a[3], `${f}.lease`) };
    case 2: return { type: 'delete', ...decSel(a, 1, f) };
    case 3: return { type: 'range', ...decSel(a, 1, f), limit: uint(a[4], `${f}.limit`) };
    default: return fail(`${f}.type`, 'an op tag in 1..3', a[0]);
  }
}

function decCompare(v: unknown, f: string): Compare {
  const a = arr(v, f, 4);
  const target = TARGETS[uint(a[1], `${f}.target`)];
  const op = OPS[uint(a[2], `${f}.op`)];
  if (target === undefined) fail(`${f}.target`, 'a compare target', a[1]);
  if (op === undefined) fail(`${f}.op`, 'a compare operator', a[2]);
  const value = target === 'value' ? bytes(a[3], `${f}.value`, MAX_VALUE_BYTES) : finite(a[3], `${f}.value`);
  return { key: key(a[0], `${f}.key`), target, op, value };
}

function decList<T>(v: unknown, f: string, each: (x: unknown, f: string) => T): T[] {
  return arr(v, f, MAX_TXN_OPS).map((x, i) => each(x, `${f}[${i}]`));
}

function decBody(tag: unknown, all: unknown[]): CommandBody {
  const a = all.length === 6 ? [] : all.slice(6);
  switch (tag) {
    case KvTag.Put: return { type: 'put', key: key(a[0], 'key'), value: bytes(a[1], 'value', MAX_VALUE_BYTES), lease: uint(a[2], 'lease') };
    case KvTag.Delete: return { type: 'delete', sel: decSel(a, 0, 'sel') };
    case KvTag.Txn: return { type: 'txn', compare: decList(a[0], 'compare', decCompare), success: decList(a[1], 'success', decOp), failure: decList(a[2], 'failure', decOp) };
    case KvTag.Compact: return { type: 'compact', revision: uint(a[0], 'revision') };
    case KvTag.LeaseGrant: return { type: 'leaseGrant', ttlMs: uint(a[0], 'ttlMs') };
    case KvTag.LeaseRevoke: return { type: 'leaseRevoke', id: uint(a[0], 'id') };
    case KvTag.LeaseKeepAlive: return { type: 'leaseKeepAlive', id: uint(a[0], 'id') };
    case KvTag.LeaseExpire: return { type: 'leaseExpire', ids: arr(a[0], 'ids', 65536).map((x, i) => uint(x, `ids[${i}]`)) };
    case KvTag.SessionOpen: return { type: 'sessionOpen' };
    case KvTag.SessionClose: return { type: 'sessionClose' };
    case KvTag.Ext: return { type: 'ext', name: id(a[0], 'name', 64), payload: a[1] };
    default: return fail('tag', 'a known command tag', tag);
  }
}

/** Decode and validate a command; throws `DecodeError` on anything malformed. */
export function decodeKvCommand(data: Uint8Array): KvCommand {
  return (data instanceof Uint8Array ? decodePut(data) : null) ?? decodeGeneric(data);
}

/**
 * The msgpackr decoder alone, without the put fast path: the reference the
 * fast path is tested against.
 * @internal
 */
export function decodeGeneric(data: Uint8Array): KvCommand {
  const a = arr(decodeValue(data, MAX_VALUE_BYTES * 2), 'command', 64);
  if (a[0] !== KV_CODEC_VERSION) throw new DecodeError(`Unsupported KV command version ${String(a[0])}`);
  const header: CommandHeader = { ts: finite(a[2], 'ts'), session: uint(a[3], 'session'), seq: uint(a[4], 'seq'), ack: uint(a[5], 'ack') };
  return Object.assign(decBody(a[1], a), header);
}

// ---- the put fast path ------------------------------------------------------
//
// A put is the command a KV store applies most, and on every replica. Its
// encoding stays the msgpack array above, byte for byte what msgpackr
// writes (old logs and new ones read the same), but the common shape is
// written and read here by hand: no intermediate arrays or objects, no
// per-command buffer. Anything outside that shape (a non-ASCII key, an
// unusual number encoding, a malformed frame) takes the generic path,
// which alone decides what is an error, so both paths agree by construction.

const PUT_ARRAY = 0x99; // fixarray of 9: version, tag, ts, session, seq, ack, key, value, lease
const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(0);
let slabView = new DataView(slab.buffer);
let slabAt = 0;

/** A put in the generic layout, written by hand; null when the key is not plain ASCII (msgpackr then encodes it). */
function encodePut(h: CommandHeader, key: string, value: Uint8Array, lease: number): Uint8Array | null {
  if (key.length >= 0x10000 || value.byteLength > 0xffffffff || !isAscii(key)) return null;
  const size = 3 + uintBytes(h.ts) + uintBytes(h.session) + uintBytes(h.seq) + uintBytes(h.ack) + asciiBytes(key) + binBytes(value) + uintBytes(lease);
  // Only numbers this writes exactly as msgpackr would (uint32 as ints, the rest as float64); the generic path takes the others.
  if (!Number.isFinite(h.ts) || (h.ts < 0 && h.ts >> 0 === h.ts)) return null;
  if (!(isUint(h.session) && isUint(h.seq) && isUint(h.ack) && isUint(lease))) return null;
  // Commands are carved out of a shared slab (as msgpackr does), so a small command costs no buffer of its own.
  if (slabAt + size > slab.byteLength) {
    slab = new Uint8Array(Math.max(SLAB_BYTES, size));
    slabView = new DataView(slab.buffer);
    slabAt = 0;
  }
  const b = slab;
  const dv = slabView;
  const start = slabAt;
  let at = start;
  b[at++] = PUT_ARRAY;
  b[at++] = KV_CODEC_VERSION;
  b[at++] = KvTag.Put;
  at = writeNum(b, dv, at, h.ts);
  at = writeNum(b, dv, at, h.session);
  at = writeNum(b, dv, at, h.seq);
  at = writeNum(b, dv, at, h.ack);
  at = writeAscii(b, dv, at, key);
  at = writeBin(b, dv, at, value);
  at = writeNum(b, dv, at, lease);
  slabAt = at;
  return b.subarray(start, at);
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reading position of {@link decodePut}; -1 once the frame is outside the fast shape. */
let pos = 0;

/** A msgpack number at `pos` in the encodings {@link writeNum} uses, or NaN (outside the fast shape). */
function readNum(d: Uint8Array): number {
  if (pos >= d.length) return NaN;
  const t = d[pos]!;
  if (t < 0x80) {
    pos += 1;
    return t;
  }
  let v: number;
  switch (t) {
    case 0xcc: v = d[pos + 1]!; pos += 2; break;
    case 0xcd: v = (d[pos + 1]! << 8) | d[pos + 2]!; pos += 3; break;
    case 0xce: v = d[pos + 1]! * 0x1000000 + ((d[pos + 2]! << 16) | (d[pos + 3]! << 8) | d[pos + 4]!); pos += 5; break;
    case 0xcb: {
      if (pos + 9 > d.length) return NaN;
      // Big-endian float64 through a scratch buffer (no DataView per command).
      for (let i = 0; i < 8; i++) f64Bytes[LITTLE_ENDIAN ? 7 - i : i] = d[pos + 1 + i]!;
      v = f64[0]!;
      pos += 9;
      break;
    }
    default: return NaN;
  }
  return pos > d.length ? NaN : v;
}

/** A uint field: a non-negative safe integer, else NaN. */
function readUint(d: Uint8Array): number {
  const v = readNum(d);
  return Number.isSafeInteger(v) && v >= 0 ? v : NaN;
}

/** Decode a put of the fast shape, or null (the generic path decides: another command, or an error). */
function decodePut(d: Uint8Array): KvCommand | null {
  if (d.length < 8 || d[0] !== PUT_ARRAY || d[1] !== KV_CODEC_VERSION || d[2] !== KvTag.Put || d.byteLength > MAX_VALUE_BYTES * 2) return null;
  pos = 3;
  const ts = readNum(d);
  const session = readUint(d);
  const seq = readUint(d);
  const ack = readUint(d);
  if (!Number.isFinite(ts) || Number.isNaN(session + seq + ack) || pos >= d.length) return null;
  let k: number;
  const t = d[pos]!;
  if ((t & 0xe0) === 0xa0) {
    k = t & 0x1f;
    pos += 1;
  } else if (t === 0xd9) {
    k = d[pos + 1] ?? 0;
    pos += 2;
  } else if (t === 0xda) {
    k = ((d[pos + 1] ?? 0) << 8) | (d[pos + 2] ?? 0);
    pos += 3;
  } else return null;
  if (k > MAX_KEY_CHARS || pos + k > d.length) return null;
  for (let i = pos; i < pos + k; i++) if (d[i]! >= 0x80) return null;
  // ASCII: one char per byte, built in one call (not char by char).
  const key = String.fromCharCode.apply(null, d.subarray(pos, pos + k) as unknown as number[]);
  pos += k;
  if (pos >= d.length) return null;
  const bt = d[pos]!;
  let n: number;
  if (bt === 0xc4) {
    n = d[pos + 1] ?? 0;
    pos += 2;
  } else if (bt === 0xc5) {
    n = ((d[pos + 1] ?? 0) << 8) | (d[pos + 2] ?? 0);
    pos += 3;
  } else if (bt === 0xc6 && pos + 5 <= d.length) {
    n = new DataView(d.buffer, d.byteOffset + pos + 1, 4).getUint32(0);
    pos += 5;
  } else return null;
  if (n > MAX_VALUE_BYTES || pos + n > d.length) return null;
  // A plain Uint8Array view, as the generic path yields (never a Node Buffer).
  const value = new Uint8Array(d.buffer, d.byteOffset + pos, n);
  pos += n;
  const lease = readUint(d);
  if (Number.isNaN(lease) || pos !== d.length) return null;
  return { type: 'put', key, value, lease, ts, session, seq, ack };
}
