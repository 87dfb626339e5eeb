/**
 * User data on the gossip layer: broadcasts of any size up to a limit
 * (fragmented to fit packets, reassembled, delivered once) and a per-member
 * key/value table with tombstones, like Swarm's NetworkDB.
 * @internal
 * @module
 */
import { estimateSize, type KvMsg, type UpdateMsg, type UserMsg } from '../codec/gossip.js';
import { InvalidInputError } from '../errors.js';
import { announceKv, fitsStream, holdBroadcast, isWholeLarge, overStream } from './bulk.js';
import type { CoreContext } from './context.js';
import { fmix32, hashString } from './members.js';
import type { MergeMode } from './merge.js';

interface Partial { parts: (Uint8Array | undefined)[]; got: number; firstAt: number }
interface KvEntry { ver: number; value: Uint8Array | null; seq: number; at: number }

/** Versions pack (incarnation, counter) so a restarted owner's new writes win over its old ones. */
const PER_INCARNATION = 1_000_000;
/** Incomplete broadcasts are dropped after this long; delivered ids are remembered this long. */
const REASSEMBLY_MS = 60_000;
const DELIVERED_MS = 300_000;

/** Broadcast and key/value state of one core. */
export class UserState {
  readonly partial = new Map<string, Partial>();
  readonly delivered = new Map<string, number>();
  readonly kv = new Map<number, Map<string, KvEntry>>();
  nextMid: number;
  kvCounter = 0;
  constructor(firstMid: number) {
    this.nextMid = firstMid;
  }
}

/** Largest fragment: a share of a packet, so one fragment fits beside system updates. */
export function fragmentSize(c: CoreContext): number {
  const o = c.opts;
  return Math.max(64, Math.floor((o.maxPacketBytes - 64 - o.clusterId.length - o.id.length) * o.userShare) - 40 - o.id.length);
}

/** Queue a user broadcast: fragmented, or, when larger than a fragment and a stream exists, announced for pulling whole. */
export function broadcast(c: CoreContext, u: UserState, payload: Uint8Array): void {
  if (!(payload instanceof Uint8Array)) throw new InvalidInputError('broadcast payload: expected a Uint8Array');
  if (payload.byteLength > c.opts.maxUserPayloadBytes) {
    throw new InvalidInputError(`broadcast payload: expected at most maxUserPayloadBytes (${c.opts.maxUserPayloadBytes}) bytes, got ${payload.byteLength}`);
  }
  const size = fragmentSize(c);
  const total = Math.max(1, Math.ceil(payload.byteLength / size));
  const mid = u.nextMid;
  u.nextMid = (u.nextMid + 1) >>> 0;
  const whole: UserMsg = { t: 'user', origin: c.opts.id, mid, idx: 0, total: 1, data: payload };
  if (total > 1 && fitsStream(c, estimateSize(whole))) return holdBroadcast(c, whole);
  for (let idx = 0; idx < total; idx++) {
    const data = payload.subarray(idx * size, Math.min(payload.byteLength, (idx + 1) * size));
    c.user.push(`u:${c.opts.id}:${mid}:${idx}`, { t: 'user', origin: c.opts.id, mid, idx, total, data });
  }
}

/** A fragment arrived: pass it on, and deliver the broadcast once all fragments are in. */
export function onUser(c: CoreContext, u: UserState, m: UserMsg): void {
  const key = `${m.origin}:${m.mid}`;
  if (m.origin === c.opts.id || u.delivered.has(key)) return;
  let p = u.partial.get(key);
  if (p === undefined) {
    p = { parts: new Array<Uint8Array | undefined>(m.total), got: 0, firstAt: c.now };
    u.partial.set(key, p);
  }
  if (p.parts.length !== m.total || p.parts[m.idx] !== undefined) return;
  p.parts[m.idx] = m.data;
  p.got++;
  if (isWholeLarge(c, m)) holdBroadcast(c, m);
  else c.user.push(`u:${key}:${m.idx}`, m);
  if (p.got < m.total) return;
  u.partial.delete(key);
  u.delivered.set(key, c.now);
  c.events.push({ type: 'broadcast', from: m.origin, payload: concat(p.parts as Uint8Array[]) });
}

/** Set (or, with `null`, delete) one of this member's own key/value entries. */
export function setKv(c: CoreContext, u: UserState, key: string, value: Uint8Array | null): KvMsg {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) throw new InvalidInputError('kv key: expected a string of 1 to 1024 chars');
  if (++u.kvCounter >= PER_INCARNATION) throw new InvalidInputError('kv: too many writes in this incarnation; restart or update metadata first');
  const ver = c.table.incarnation(c.self) * PER_INCARNATION + u.kvCounter;
  const m: KvMsg = { t: 'kv', owner: c.opts.id, key, ver, value };
  // It travels as one piggybacked update (so it must fit a packet beside the envelope and a
  // ping), or, with a stream, is announced and pulled whole (so it must fit a stream packet).
  const room = c.opts.maxPacketBytes - c.envelope - 64;
  const size = estimateSize(m);
  if (size > room && !fitsStream(c, size)) {
    const limit = c.opts.maxStreamBytes > 0 ? c.opts.maxStreamBytes - c.envelope : room;
    throw new InvalidInputError(`kv entry: expected at most ${limit} bytes encoded, got ${size}`);
  }
  store(c, u, c.self, m);
  spreadKv(c, m);
  return m;
}

/** A key/value entry arrived; newer versions win, and news is passed on. */
export function onKv(c: CoreContext, u: UserState, m: KvMsg, mode: MergeMode): void {
  const owner = c.table.ids.lookup(m.owner);
  if (owner === undefined || owner === c.self || !c.table.isLive(owner)) return;
  const cur = u.kv.get(owner)?.get(m.key);
  if (cur !== undefined && cur.ver >= m.ver) return;
  store(c, u, owner, m);
  c.events.push({ type: 'kv', owner: m.owner, key: m.key, value: m.value });
  if (mode !== 'sync') spreadKv(c, m);
}

/** Piggyback an entry, or announce it for pulling if it is too large for a datagram. */
function spreadKv(c: CoreContext, m: KvMsg): void {
  if (overStream(c, estimateSize(m) + 64)) announceKv(c, m);
  else c.system.push(`k:${m.owner}:${m.key}`, m);
}

function store(c: CoreContext, u: UserState, owner: number, m: KvMsg): void {
  let t = u.kv.get(owner);
  if (t === undefined) u.kv.set(owner, (t = new Map()));
  const old = t.get(m.key);
  if (old !== undefined) c.table.mix(owner, entryHash(m.key, old.ver));
  c.table.mix(owner, entryHash(m.key, m.ver));
  t.set(m.key, { ver: m.ver, value: m.value, seq: c.table.nextSeq(), at: c.now });
}

/** An entry's share of its owner's digest leaf (see members.ts): equal entries hash equal everywhere. */
function entryHash(key: string, ver: number): number {
  return fmix32(hashString(key) ^ fmix32((ver >>> 0) ^ Math.floor(ver / 0x1_0000_0000) * 0x9e37));
}

/** Entries changed in (since, until], for anti-entropy. */
export function kvChangesSince(c: CoreContext, u: UserState, since: number, until: number, out: Array<{ seq: number; msg: UpdateMsg }>): void {
  for (const [owner, t] of u.kv) {
    const id = c.idOf(owner);
    for (const [key, e] of t) {
      if (e.seq > since && e.seq <= until) out.push({ seq: e.seq, msg: { t: 'kv', owner: id, key, ver: e.ver, value: e.value } });
    }
  }
}

/** Every entry of member `owner`'s table as update messages (for the digest exchange). */
export function kvRecordsOf(c: CoreContext, u: UserState, owner: number, out: UpdateMsg[]): void {
  const t = u.kv.get(owner);
  if (t === undefined) return;
  const id = c.idOf(owner);
  for (const [key, e] of t) out.push({ t: 'kv', owner: id, key, ver: e.ver, value: e.value });
}

/** Live entries of one owner's table. */
export function kvOf(c: CoreContext, u: UserState, owner: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const i = c.table.ids.lookup(owner);
  const t = i === undefined ? undefined : u.kv.get(i);
  if (t !== undefined) for (const [k, e] of t) if (e.value !== null) out.set(k, e.value);
  return out;
}

/** Drop expired reassembly buffers, delivered ids, old tombstones and the tables of members gone. */
export function housekeep(c: CoreContext, u: UserState): void {
  expire(u.partial, (p) => p.firstAt < c.now - REASSEMBLY_MS);
  expire(u.delivered, (at) => at < c.now - DELIVERED_MS);
  for (const [owner, t] of u.kv) {
    if (owner !== c.self && !c.table.isLive(owner) && c.table.changedAtOf(owner) < c.now - c.opts.reconnectTimeoutMs) {
      for (const [k, e] of t) c.table.mix(owner, entryHash(k, e.ver));
      u.kv.delete(owner);
      continue;
    }
    for (const [k, e] of t) {
      if (e.value !== null || e.at >= c.now - c.opts.reconnectTimeoutMs) continue;
      c.table.mix(owner, entryHash(k, e.ver));
      t.delete(k);
    }
  }
}

/** Maps keep insertion order, so the oldest entries come first: stop at the first young one. */
function expire<V>(m: Map<string, V>, old: (v: V) => boolean): void {
  for (const [k, v] of m) {
    if (!old(v)) return;
    m.delete(k);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
