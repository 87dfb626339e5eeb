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
import type { SyncReqMsg, SyncRespMsg, UpdateMsg } from '../codec/gossip.js';
import { ENVELOPE_OVERHEAD, estimateSize } from '../codec/gossip.js';
import type { CoreContext } from './context.js';
import { DEAD } from './members.js';
import { recordOf } from './merge.js';
import { kvChangesSince } from './user.js';

/** What this member has read of each peer's log. */
export interface Watermark { epoch: number; seq: number }

/** Largest number of peers whose marks are kept (the oldest are forgotten first). */
const MAX_MARKS = 4096;

/** Parts of one multi-packet response received so far. */
interface Pending { epoch: number; seq: number; got: Set<number> }

/** Anti-entropy state of one core. */
export class SyncState {
  readonly marks = new Map<string, Watermark>();
  private readonly pending = new Map<string, Pending>();
  constructor(readonly epoch: number) {}

  /**
   * Count one part of `peer`'s response; the mark advances only when every
   * part of it arrived, so a lost packet means the rows are asked for again.
   */
  part(peer: string, m: SyncRespMsg): void {
    let p = this.pending.get(peer);
    if (p === undefined || p.epoch !== m.epoch || p.seq !== m.seq) {
      p = { epoch: m.epoch, seq: m.seq, got: new Set() };
      this.pending.set(peer, p);
    }
    p.got.add(m.part);
    if (p.got.size < m.parts) return;
    this.pending.delete(peer);
    this.record(peer, { epoch: m.epoch, seq: m.seq });
  }

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

/** A response header: the rows in the same packet were merged by the caller; count the part. */
export function onSyncResp(s: SyncState, from: string, m: SyncRespMsg): void {
  s.part(from, m);
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
  const chunks: UpdateMsg[][] = [[]];
  let used = 0;
  for (const r of records) {
    const size = estimateSize(r) + 1;
    if (used + size > room && chunks[chunks.length - 1]!.length > 0) {
      chunks.push([]);
      used = 0;
    }
    chunks[chunks.length - 1]!.push(r);
    used += size;
  }
  const seq = c.table.seq;
  chunks.forEach((chunk, part) => {
    const head: SyncRespMsg = { t: 'syncResp', epoch: s.epoch, seq, part, parts: chunks.length };
    c.send(to, addr, [head, ...chunk], false);
  });
}
