/**
 * The leader's side of log replication (§5.3, §5.4): sending appends and
 * heartbeats, handling acknowledgements and rejections, and advancing the
 * commit index by quorum, only for entries of its own term.
 */
import type { Progress } from './progress.js';
import type { RaftCore } from './raft.js';
import { handleReadRequest, quorumSeq, releaseRead } from './reads.js';
import { handleSnapshotResp, startSnapshotSend } from './snapshot.js';
import { maybeFinishTransfer } from './transfer.js';
import { MsgType, type AppRespMsg, type HeartbeatRespMsg, type Message, type NodeId } from './types.js';

export function stepLeader(r: RaftCore, m: Message): void {
  switch (m.type) {
    case MsgType.AppResp:
      handleAppendResponse(r, m);
      return;
    case MsgType.HeartbeatResp:
      handleHeartbeatResponse(r, m);
      return;
    case MsgType.Prop:
      // Forwarded proposals; if refused, the follower's driver times them out.
      r.propose(m.entries.map((e) => ({ data: e.data, type: e.type, ...(e.origin !== undefined && e.seq !== undefined ? { origin: e.origin, seq: e.seq } : {}) })));
      return;
    case MsgType.ReadIndex:
      if (r.tracker.progress.has(m.from)) handleReadRequest(r, { from: m.from, ctx: m.ctx });
      return;
    case MsgType.SnapshotResp:
      handleSnapshotResp(r, m);
      return;
    default:
      return;
  }
}

/** Send the next append to `to` if its flow allows. Returns whether a message went out. */
export function maybeSendAppend(r: RaftCore, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.tracker.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  // What the follower needs next was compacted away: it gets the snapshot instead.
  if (prevTerm === undefined) return startSnapshotSend(r, to, pr);
  const entries = r.log.slice(pr.next, r.log.lastIndex() + 1, r.opts.maxMsgBytes);
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({ type: MsgType.App, term: r.term, from: r.id, to, prevIndex, prevTerm, entries, commit: r.log.committed });
  const last = entries[entries.length - 1];
  if (last !== undefined) {
    let bytes = 0;
    for (const e of entries) bytes += e.data.byteLength;
    pr.sentEntries(last.index, bytes);
  } else if (pr.state === 'probe') {
    pr.probeSent = true;
  }
  return true;
}

/** Send whatever each follower's flow allows; with `sendIfEmpty`, at least a commit update. */
export function bcastAppend(r: RaftCore, sendIfEmpty: boolean): void {
  for (const id of r.tracker.progress.keys()) {
    if (id === r.id) continue;
    sendAll(r, id, sendIfEmpty);
  }
}

/** Send `to` everything its flow allows (with `sendIfEmpty`, at least one message). */
export function sendAll(r: RaftCore, to: NodeId, sendIfEmpty: boolean): void {
  let first = true;
  while (maybeSendAppend(r, to, first && sendIfEmpty)) first = false;
}

/**
 * Heartbeats carry min(match, commit) so a follower never commits past what
 * it holds, and a fresh sequence number whose echoes confirm read rounds and
 * date the lease.
 */
export function bcastHeartbeat(r: RaftCore): void {
  const ctx = r.reads.nextHeartbeat(r.ticks, r.log.committed);
  for (const [id, pr] of r.tracker.progress) {
    if (id === r.id) continue;
    r.send({ type: MsgType.Heartbeat, term: r.term, from: r.id, to: id, commit: Math.min(pr.match, r.log.committed), ctx });
  }
}

/** §5.3, §5.4.2: advance the commit index to what a quorum holds, if that entry is of this term. */
export function maybeCommit(r: RaftCore): boolean {
  const idx = r.tracker.committed();
  if (idx <= r.log.committed || r.log.term(idx) !== r.term) return false;
  const firstInTerm = r.log.term(r.log.committed) !== r.term;
  r.commitTo(idx);
  r.commitDirty = true;
  if (firstInTerm) releasePendingReads(r);
  return true;
}

/** Reads that waited for this term's first commit can now start their rounds. */
function releasePendingReads(r: RaftCore): void {
  const waiting = r.pendingReads;
  r.pendingReads = [];
  for (const req of waiting) handleReadRequest(r, req);
}

function handleAppendResponse(r: RaftCore, m: AppRespMsg): void {
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (m.reject) {
    handleRejection(r, pr, m);
    return;
  }
  const wasProbing = pr.state === 'probe';
  if (pr.maybeUpdate(m.index)) {
    if (wasProbing) pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeProbe();
    else pr.inflights.freeLE(m.index);
    maybeCommit(r);
    if (r.role !== 'leader') return;
    sendAll(r, m.from, false);
    maybeFinishTransfer(r, m.from);
  } else {
    pr.inflights.freeLE(m.index);
  }
}

/** Skip back over the follower's conflicting term in one step, using its hint. */
function handleRejection(r: RaftCore, pr: Progress, m: AppRespMsg): void {
  let nextProbe = m.hintIndex;
  if (m.hintTerm > 0) nextProbe = r.log.findConflictByTerm(m.hintIndex, m.hintTerm).index;
  if (pr.maybeDecrTo(m.index, nextProbe)) {
    if (pr.state === 'replicate') pr.becomeProbe();
    sendAll(r, m.from, true);
  }
}

function handleHeartbeatResponse(r: RaftCore, m: HeartbeatRespMsg): void {
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.probeSent = false;
  // A full window with no acknowledgements means appends were lost: free one slot to retry.
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  // Even with nothing new to send, an (empty) append at next-1 makes a follower that lost earlier appends refuse it, which restarts probing.
  if (pr.match < r.log.lastIndex()) sendAll(r, m.from, true);
  if (m.ctx > 0 && r.tracker.isVoter(m.from)) {
    for (const { req, index } of r.reads.ack(m.ctx, m.from, (acked) => quorumSeq(r, acked))) releaseRead(r, req, index);
    if (r.reads.canStartRound()) bcastHeartbeat(r);
  }
}
