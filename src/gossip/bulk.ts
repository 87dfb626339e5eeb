/**
 * Large payloads over the transport's reliable stream. A user broadcast or
 * key/value entry too large for one datagram is not fragmented: a small
 * `have` is piggybacked instead (retransmitted within the usual budget, so
 * the announcement reaches every member), and each member pulls the payload
 * once with a `want` to a member that announced it, which answers with the
 * whole payload in one stream packet. A member announces only what it holds,
 * so every announcer can serve; a pull that gets no answer (the `want` is a
 * datagram and can be lost, a stream can break) asks another announcer.
 *
 * Cost: each member receives a payload of S bytes about once, N·S in all,
 * where fragments cost N·R·S (every member retransmits every fragment R
 * times, R = 14 to 24, see `broadcast-queue.ts`).
 * @internal
 * @module
 */
import { estimateSize, type HaveMsg, type KvMsg, type UserMsg, type WantMsg } from '../codec/gossip.js';
import type { CoreContext } from './context.js';
import type { UserState } from './user.js';

interface Pull { sources: Array<[id: string, addr: string]>; tries: number }
interface Held { msg: UserMsg; at: number }

/** Announcers remembered per pull, tries per pull, pulls at once, broadcasts held for serving. */
const MAX_SOURCES = 4;
const MAX_TRIES = 6;
const MAX_PULLS = 1024;
const MAX_HELD = 256;
/** How long a held broadcast is served (as long as an incomplete fragmented one is kept). */
const HELD_MS = 60_000;

/** Pulls in flight and broadcasts this member can serve. */
export class BulkState {
  readonly pulls = new Map<string, Pull>();
  readonly held = new Map<string, Held>();
}

/** Whether a message of `size` bytes must travel over the stream: too large for a datagram, and a stream exists. */
export function overStream(c: CoreContext, size: number): boolean {
  return c.opts.maxStreamBytes > 0 && size + c.envelope > c.opts.maxPacketBytes;
}

/** Whether a message of `size` bytes fits one stream packet. */
export function fitsStream(c: CoreContext, size: number): boolean {
  return c.opts.maxStreamBytes > 0 && size + c.envelope <= c.opts.maxStreamBytes;
}

/** Hold a whole broadcast (ours, or one pulled) and announce it. */
export function holdBroadcast(c: CoreContext, m: UserMsg): void {
  const b = c.bulk;
  b.held.set(`${m.origin}:${m.mid}`, { msg: m, at: c.now });
  if (b.held.size > MAX_HELD) b.held.delete(b.held.keys().next().value!);
  c.user.push(`h:${m.origin}:${m.mid}`, { t: 'have', kind: 'user', owner: m.origin, key: '', ver: m.mid });
}

/** Announce a key/value entry too large to piggyback (served from the key/value table). */
export function announceKv(c: CoreContext, m: KvMsg): void {
  c.system.push(`k:${m.owner}:${m.key}`, { t: 'have', kind: 'kv', owner: m.owner, key: m.key, ver: m.ver });
}

/** An announcement: pull the payload from its sender unless we have it or a pull is running (then add a source). */
export function onHave(c: CoreContext, u: UserState, from: string, fromAddr: string, h: HaveMsg): void {
  if (holds(c, u, h)) return;
  const key = pullKey(h);
  const running = c.bulk.pulls.get(key);
  if (running !== undefined) {
    if (running.sources.length < MAX_SOURCES && !running.sources.some(([id]) => id === from)) running.sources.push([from, fromAddr]);
    return;
  }
  if (c.bulk.pulls.size >= MAX_PULLS) return;
  const pull: Pull = { sources: [[from, fromAddr]], tries: 0 };
  c.bulk.pulls.set(key, pull);
  ask(c, u, h, key, pull);
}

/** Send the next `want` of a pull, round-robin over its announcers, until the payload is here. */
function ask(c: CoreContext, u: UserState, h: HaveMsg, key: string, pull: Pull): void {
  if (c.bulk.pulls.get(key) !== pull) return;
  if (holds(c, u, h) || pull.tries >= MAX_TRIES || c.leaving) {
    c.bulk.pulls.delete(key);
    return;
  }
  const [id, addr] = pull.sources[pull.tries % pull.sources.length]!;
  pull.tries++;
  const want: WantMsg = { t: 'want', kind: h.kind, owner: h.owner, key: h.key, ver: h.ver };
  c.send(id, addr, [want], false);
  c.at(c.now + 2 * c.opts.probeIntervalMs, () => ask(c, u, h, key, pull));
}

/** A pull: answer with the payload (over the stream, being large) if we hold it. */
export function onWant(c: CoreContext, u: UserState, from: string, fromAddr: string, w: WantMsg): void {
  const msg = w.kind === 'user' ? c.bulk.held.get(`${w.owner}:${w.ver}`)?.msg : heldKv(c, u, w);
  if (msg === undefined) {
    c.stats.stale++;
    return;
  }
  c.send(from, fromAddr, [msg], false);
}

/** The current entry for a `want` of a key/value entry, if at least as new as asked. */
function heldKv(c: CoreContext, u: UserState, w: WantMsg): KvMsg | undefined {
  const owner = c.table.ids.lookup(w.owner);
  const e = owner === undefined ? undefined : u.kv.get(owner)?.get(w.key);
  if (e === undefined || e.ver < w.ver || e.value === null) return undefined;
  return { t: 'kv', owner: w.owner, key: w.key, ver: e.ver, value: e.value };
}

/** Whether we already have what `h` announces (or cannot take it: an owner we do not list live). */
function holds(c: CoreContext, u: UserState, h: HaveMsg): boolean {
  if (h.owner === c.opts.id) return true;
  if (h.kind === 'user') return u.delivered.has(`${h.owner}:${h.ver}`) || c.bulk.held.has(`${h.owner}:${h.ver}`);
  const owner = c.table.ids.lookup(h.owner);
  if (owner === undefined || !c.table.isLive(owner)) return true;
  const cur = u.kv.get(owner)?.get(h.key);
  return cur !== undefined && cur.ver >= h.ver;
}

function pullKey(h: HaveMsg): string {
  return `${h.kind}:${h.owner}:${h.key}:${h.ver}`;
}

/** Whether a user message is a whole large broadcast (it came over the stream). */
export function isWholeLarge(c: CoreContext, m: UserMsg): boolean {
  return m.total === 1 && overStream(c, estimateSize(m));
}

/** Stop serving broadcasts held longer than the reassembly window. */
export function housekeepBulk(c: CoreContext): void {
  for (const [k, h] of c.bulk.held) {
    if (h.at >= c.now - HELD_MS) return;
    c.bulk.held.delete(k);
  }
}
