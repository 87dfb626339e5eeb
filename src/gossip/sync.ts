/**
 * Anti-entropy by change log (Scuttlebutt-style), for joins: the joiner
 * pulls the seed's whole log, lost parts are asked for as gaps, and for a
 * while after it pulls the seed's new changes, so members joining together
 * learn of each other. (The periodic exchange is by digest: digest.ts.)
 * Every row change gets a local sequence number; a member remembers, per
 * peer, up to where it holds that peer's log (with the peer's epoch, new at
 * every start), and asks only for what changed after that mark.
 *
 * A sync is: A → B `syncReq(since = A's mark of B, until, reply)`; B answers
 * with its rows changed in (since, until], sorted by sequence and split into
 * packets, each headed by a `syncResp` naming the range (lo, hi] it covers;
 * when asked, B sends a `syncReq` of its own so A sends what B lacks.
 *
 * Loss: A advances its mark over every contiguous range it holds and keeps
 * the ranges beyond a gap; shortly after, it asks for just the gaps
 * (one request each, `until` = where the next held range starts). A 2,000-row table at 20% loss is
 * then complete after a few small requests, not after an all-or-nothing
 * retry that almost never succeeds.
 * @internal
 * @module
 */
import type { SyncReqMsg, SyncRespMsg, UpdateMsg } from '../codec/gossip.js';
import { estimateSize } from '../codec/gossip.js';
import type { CoreContext } from './context.js';
import { openDigest } from './digest.js';
import { DEAD } from './members.js';
import { recordOf } from './merge.js';
import { kvChangesSince } from './user.js';

/** What this member holds of one peer's log: all of (0, mark], plus ranges beyond a gap. */
export interface Coverage {
  epoch: number;
  mark: number;
  /** The end of the ranges we were answered (so a lost last part shows as a gap too). */
  target: number;
  ahead: Array<[lo: number, hi: number]>;
  addr: string;
  fills: number;
  fillArmed: boolean;
}

/** Largest number of peers whose coverage is kept (the least recently synced are forgotten). */
const MAX_PEERS = 4096;
/** Ranges kept beyond a gap, and gap requests per gap before waiting for the periodic sync. */
const MAX_AHEAD = 64;
const MAX_FILLS = 8;
const MAX_GAPS = 16;

/** A row to send, with its change sequence. */
export interface SeqRecord { seq: number; msg: UpdateMsg }

/** Anti-entropy state of one core. */
export class SyncState {
  readonly cover = new Map<string, Coverage>();
  /** When we last synced because we had been declared dead (see {@link resyncAfterDeath}). */
  lastRevivalSync = Number.NEGATIVE_INFINITY;
  constructor(readonly epoch: number) {}

  /** The request to send to `peer`: from our mark, up to the first range held beyond a gap. */
  request(c: CoreContext, peer: string, reply: boolean): SyncReqMsg {
    const cv = this.cover.get(peer);
    return { t: 'syncReq', epoch: this.epoch, seq: c.table.seq, since: cv?.mark ?? 0, sinceEpoch: cv?.epoch ?? 0, until: cv?.ahead[0]?.[0] ?? 0, reply };
  }

  /** One request per gap in what we hold of `peer`'s log (at most `MAX_GAPS`). */
  gapRequests(c: CoreContext, peer: string): SyncReqMsg[] {
    const cv = this.cover.get(peer);
    if (cv === undefined) return [];
    const out: SyncReqMsg[] = [];
    let from = cv.mark;
    const ask = (until: number) => out.push({ t: 'syncReq', epoch: this.epoch, seq: c.table.seq, since: from, sinceEpoch: cv.epoch, until, reply: false });
    for (const [lo, hi] of cv.ahead) {
      if (lo > from) ask(lo);
      from = Math.max(from, hi);
      if (out.length >= MAX_GAPS) return out;
    }
    if (cv.target > from) ask(cv.target);
    return out;
  }

  /** Add the range of one response part; returns the coverage (a gap remains if `ahead` is non-empty). */
  add(peer: string, addr: string, m: SyncRespMsg): Coverage {
    let cv = this.cover.get(peer);
    if (cv === undefined || cv.epoch !== m.epoch) cv = { epoch: m.epoch, mark: 0, target: 0, ahead: [], addr, fills: 0, fillArmed: false };
    cv.target = Math.max(cv.target, m.seq);
    this.cover.delete(peer); // re-insert: Map order is recency, for eviction
    this.cover.set(peer, cv);
    if (this.cover.size > MAX_PEERS) this.cover.delete(this.cover.keys().next().value!);
    if (m.lo <= cv.mark) cv.mark = Math.max(cv.mark, m.hi);
    else if (m.hi > cv.mark) insertRange(cv, m.lo, m.hi);
    while (cv.ahead.length > 0 && cv.ahead[0]![0] <= cv.mark) cv.mark = Math.max(cv.mark, cv.ahead.shift()![1]);
    if (!hasGap(cv)) cv.fills = 0;
    return cv;
  }
}

/** Whether part of what we were answered is missing. */
export function hasGap(cv: Coverage): boolean {
  return cv.ahead.length > 0 || cv.mark < cv.target;
}

function insertRange(cv: Coverage, lo: number, hi: number): void {
  let i = cv.ahead.findIndex(([l]) => l > lo);
  if (i < 0) i = cv.ahead.length;
  cv.ahead.splice(i, 0, [lo, hi]);
  if (cv.ahead.length > MAX_AHEAD) cv.ahead.pop();
}

/**
 * One periodic exchange, by digest (see digest.ts): with a random live
 * member, or with probability `reconnectRatio` with a remembered dead one,
 * which is how a healed partition finds its other half. It costs O(changes)
 * with anyone, so there is no reason to prefer past partners.
 */
export function startSync(c: CoreContext, s: SyncState): void {
  if (c.opts.pushPullIntervalMs > 0) c.at(c.now + c.opts.pushPullIntervalMs, () => startSync(c, s));
  if (c.leaving) return;
  const t = c.table;
  const horizon = c.now - c.opts.reconnectTimeoutMs;
  let peer: number | undefined;
  if (c.rng.next() < c.opts.reconnectRatio) {
    [peer] = c.pickRandom(1, (i) => t.state(i) === DEAD && t.changedAtOf(i) >= horizon, t.down);
  }
  if (peer === undefined) [peer] = c.pickRandom(1, (i) => t.isLive(i));
  if (peer === undefined) return;
  openDigest(c, c.idOf(peer), t.address(peer));
}

/**
 * We were declared dead somewhere (a healed partition, a false positive): while
 * dead in others' views we were left out of their gossip, so the news of that
 * time reaches us by one exchange with a random live member now, instead of at
 * the next periodic one. At most once per ten probe intervals.
 */
export function resyncAfterDeath(c: CoreContext, s: SyncState): void {
  if (c.opts.pushPullIntervalMs <= 0 || c.leaving || c.now - s.lastRevivalSync < 10 * c.opts.probeIntervalMs) return;
  const [peer] = c.pickRandom(1, (i) => c.table.isLive(i));
  if (peer === undefined) return;
  s.lastRevivalSync = c.now;
  openDigest(c, c.idOf(peer), c.table.address(peer));
}

/** Answer a request with our rows changed in (since, until], and ask back if told to. */
export function onSyncReq(c: CoreContext, s: SyncState, from: string, fromAddr: string, m: SyncReqMsg): void {
  const seq = c.table.seq;
  const ours = m.sinceEpoch === s.epoch && m.since <= seq;
  const since = ours ? m.since : 0;
  const until = ours && m.until > since && m.until <= seq ? m.until : seq;
  sendChunked(c, s, from, fromAddr, changesIn(c, since, until), since, until);
  if (m.reply) c.send(from, fromAddr, [s.request(c, from, false)], false);
}

/** A response part (its rows were merged by the caller): extend coverage; ask for any gap soon. */
export function onSyncResp(c: CoreContext, s: SyncState, from: string, fromAddr: string, m: SyncRespMsg): void {
  const cv = s.add(from, fromAddr, m);
  if (!cv.fillArmed) armFill(c, s, from, cv);
}

/** Ask for the gaps one probe interval from now, and again while some remain (a request can be lost too). */
function armFill(c: CoreContext, s: SyncState, peer: string, cv: Coverage): void {
  if (!hasGap(cv) || cv.fills >= MAX_FILLS) return;
  cv.fillArmed = true;
  c.at(c.now + c.opts.probeIntervalMs, () => {
    cv.fillArmed = false;
    if (!hasGap(cv) || s.cover.get(peer) !== cv) return;
    cv.fills++;
    for (const req of s.gapRequests(c, peer)) c.send(peer, cv.addr, [req], false);
    armFill(c, s, peer, cv);
  });
}

/**
 * After joining, pull the changes of the peer we last synced with (the
 * seed) every two probe intervals for `rounds` rounds. Members joining
 * together (a bootstrap, a restart wave) then learn of each other from the
 * seed's log at O(changes) cost, instead of waiting for piggybacked gossip
 * that must carry every join N·R times.
 */
export function followUp(c: CoreContext, s: SyncState, rounds: number): void {
  if (rounds <= 0 || c.leaving) return;
  c.at(c.now + 2 * c.opts.probeIntervalMs, () => {
    const last = [...s.cover.entries()].pop();
    if (last !== undefined) c.send(last[0], last[1].addr, [s.request(c, last[0], false)], false);
    followUp(c, s, rounds - 1);
  });
}

/** Rows (and key/value entries) with a change sequence in (since, until], in sequence order. */
function changesIn(c: CoreContext, since: number, until: number): SeqRecord[] {
  const t = c.table;
  const out: SeqRecord[] = [];
  for (let k = 0; k < t.known.length; k++) {
    const i = t.known.get(k);
    const q = t.changeSeqOf(i);
    if (q > since && q <= until && !c.quiet.isHeld(i)) out.push({ seq: q, msg: recordOf(c, i) });
  }
  kvChangesSince(c, c.userData, since, until, out);
  return out.sort((a, b) => a.seq - b.seq);
}

/** Split rows across packets that fit `maxPacketBytes`; each names the range (lo, hi] it covers. */
function sendChunked(c: CoreContext, s: SyncState, to: string, addr: string, rows: SeqRecord[], since: number, until: number): void {
  // Room for rows: the packet (a stream packet when there is a stream) minus the envelope and
  // the largest possible syncResp header.
  const room = Math.max(c.opts.maxPacketBytes, c.opts.maxStreamBytes) - c.envelope - 40;
  let lo = since;
  let chunk: UpdateMsg[] = [];
  let used = 0;
  const flush = (hi: number): void => {
    // `seq` is the end of the whole answer: every part tells where it ends.
    const head: SyncRespMsg = { t: 'syncResp', epoch: s.epoch, seq: until, lo, hi };
    c.send(to, addr, [head, ...chunk], false);
    lo = hi;
    chunk = [];
    used = 0;
  };
  for (let k = 0; k < rows.length; k++) {
    const size = estimateSize(rows[k]!.msg);
    if (used + size > room && chunk.length > 0) flush(rows[k - 1]!.seq);
    chunk.push(rows[k]!.msg);
    used += size;
  }
  // Our own row rides along on the last part: the peer hears of us first-hand every time.
  if (since >= c.table.changeSeqOf(c.self) || until < c.table.changeSeqOf(c.self)) chunk.push(recordOf(c, c.self));
  flush(until);
}
