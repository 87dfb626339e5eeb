/**
 * Anti-entropy by change log (Scuttlebutt-style). Every row change gets a
 * local sequence number; a member remembers, per peer, how far it has read
 * that peer's log (with the peer's epoch, new at every start). A sync sends
 * only the rows changed since that mark — O(changes), not O(N) — and a
 * full table only on first contact or after the peer restarted.
 *
 * A sync is: A → B `syncReq(since = A's mark of B, reply)`; B answers with
 * its changed rows in one or more packets headed by `syncResp`, and, when
 * asked, a `syncReq` of its own so A sends B what B lacks.
 * @internal
 * @module
 */
import type { GossipMsg, SyncReqMsg, SyncRespMsg, UpdateMsg } from '../codec/gossip.js';
import { ENVELOPE_OVERHEAD, estimateSize } from '../codec/gossip.js';
import type { CoreContext } from './context.js';
import { DEAD } from './members.js';
import { recordOf } from './merge.js';
import { kvChangesSince } from './user.js';

/** What this member has read of each peer's log. */
export interface Watermark { epoch: number; seq: number }

/** Largest number of peers whose marks are kept (the oldest are forgotten first). */
const MAX_MARKS = 4096;

/** Anti-entropy state of one core. */
export class SyncState {
  readonly marks = new Map<string, Watermark>();
  constructor(readonly epoch: number) {}

  /** The request to send to `peer`. */
  request(c: CoreContext, peer: string, reply: boolean): SyncReqMsg {
    const m = this.marks.get(peer);
    return { t: 'syncReq', epoch: this.epoch, seq: c.table.seq, since: m?.seq ?? 0, sinceEpoch: m?.epoch ?? 0, reply };
  }

  /** Remember that we have read `peer`'s log up to `mark`. */
  record(peer: string, mark: Watermark): void {
    this.marks.delete(peer);
    this.marks.set(peer, mark);
    if (this.marks.size > MAX_MARKS) this.marks.delete(this.marks.keys().next().value!);
  }
}

/** One periodic exchange, usually with a live member, sometimes with a remembered dead one. */
export function startSync(c: CoreContext, s: SyncState): void {
  if (c.opts.pushPullIntervalMs > 0) c.at(c.now + c.opts.pushPullIntervalMs, () => startSync(c, s));
  if (c.leaving) return;
  const t = c.table;
  const horizon = c.now - c.opts.reconnectTimeoutMs;
  let peer: number | undefined;
  if (c.rng.next() < c.opts.reconnectRatio) {
    [peer] = c.pickRandom(1, (i) => t.state(i) === DEAD && t.changedAtOf(i) >= horizon);
  }
  if (peer === undefined) [peer] = c.pickRandom(1, (i) => t.isLive(i));
  if (peer === undefined) return;
  const id = c.idOf(peer);
  c.send(id, t.address(peer), [s.request(c, id, true)], false);
}

/** Answer a request with our changes since the requester's mark, and ask back if told to. */
export function onSyncReq(c: CoreContext, s: SyncState, from: string, fromAddr: string, m: SyncReqMsg): void {
  const since = m.sinceEpoch === s.epoch && m.since <= c.table.seq ? m.since : 0;
  const records = changesSince(c, since);
  sendChunked(c, s, from, fromAddr, records);
  if (m.reply) c.send(from, fromAddr, [s.request(c, from, false)], false);
}

/** A response header: the rows in the same packet were merged by the caller; advance the mark at the end. */
export function onSyncResp(s: SyncState, from: string, m: SyncRespMsg): void {
  if (!m.more) s.record(from, { epoch: m.epoch, seq: m.seq });
}

/** Our rows (and key/value entries) changed after `since`, our own first. */
function changesSince(c: CoreContext, since: number): UpdateMsg[] {
  const t = c.table;
  const out: UpdateMsg[] = [recordOf(c, c.self)];
  for (const i of t.known) if (i !== c.self && t.changeSeqOf(i) > since) out.push(recordOf(c, i));
  kvChangesSince(c, c.userData, since, out);
  return out;
}

/** Split rows across packets that fit `maxPacketBytes`, each headed by a `syncResp`. */
function sendChunked(c: CoreContext, s: SyncState, to: string, addr: string, records: UpdateMsg[]): void {
  const room = c.opts.maxPacketBytes - ENVELOPE_OVERHEAD - c.opts.clusterId.length - c.opts.id.length - 24;
  let chunk: GossipMsg[] = [];
  let used = 0;
  const flush = (more: boolean): void => {
    const head: SyncRespMsg = { t: 'syncResp', epoch: s.epoch, seq: c.table.seq, more };
    c.send(to, addr, [head, ...chunk], false);
    chunk = [];
    used = 0;
  };
  for (const r of records) {
    const size = estimateSize(r) + 1;
    if (used + size > room && chunk.length > 0) flush(true);
    chunk.push(r);
    used += size;
  }
  flush(false);
}
