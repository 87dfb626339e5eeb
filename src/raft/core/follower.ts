/**
 * The follower's step function (§5.3): accepting appends, heartbeats,
 * forwarding proposals, read-index answers and TimeoutNow.
 */
import { campaign } from './election.js';
import type { RaftCore } from './raft.js';
import { handleSnapshotChunk } from './snapshot.js';
import { MsgType, type AppMsg, type HeartbeatMsg, type Message } from './types.js';

export function stepFollower(r: RaftCore, m: Message): void {
  switch (m.type) {
    case MsgType.App:
      heardFromLeader(r, m.from);
      handleAppend(r, m);
      return;
    case MsgType.Heartbeat:
      heardFromLeader(r, m.from);
      handleHeartbeat(r, m);
      return;
    case MsgType.Prop:
      if (r.leaderId !== null && r.opts.forwardProposals) r.send({ ...m, from: r.id, to: r.leaderId, term: r.term });
      return;
    case MsgType.Snapshot:
      heardFromLeader(r, m.from);
      handleSnapshotChunk(r, m);
      return;
    case MsgType.ReadIndexResp:
      if (m.from === r.leaderId) r.readStates.push({ index: m.index, ctx: m.ctx });
      return;
    case MsgType.TimeoutNow:
      // Leadership transfer: campaign at once, ignoring the PreVote round and peers' leases.
      campaign(r, 'transfer');
      return;
    default:
      return;
  }
}

function heardFromLeader(r: RaftCore, from: string): void {
  r.electionElapsed = 0;
  r.leaderId = from;
}

/** §5.3: accept entries if our log matches at prevIndex; otherwise reject with a hint. */
export function handleAppend(r: RaftCore, m: AppMsg): void {
  const log = r.log;
  if (!validAppend(r, m)) return;
  if (m.prevIndex < log.committed) {
    // Already have everything up to our commit; tell the leader where we are.
    r.sendAfterPersist(appResp(r, m.from, log.committed, false));
    return;
  }
  const truncationsBefore = log.truncations;
  const lastNew = log.maybeAppend(m.prevIndex, m.prevTerm, m.entries);
  if (lastNew !== null) {
    if (log.truncations > truncationsBefore) r.counters.logTruncations++;
    r.commitTo(Math.min(m.commit, lastNew));
    r.sendAfterPersist(appResp(r, m.from, lastNew, false));
    return;
  }
  // §5.3 optimisation: point the leader at the last index of a term no newer than its prevTerm.
  const hint = log.findConflictByTerm(Math.min(m.prevIndex, log.lastIndex()), m.prevTerm);
  r.sendAfterPersist({ ...appResp(r, m.from, m.prevIndex, true), hintIndex: hint.index, hintTerm: hint.term });
}

/**
 * Entries must be contiguous after prevIndex, in non-decreasing terms no
 * newer than the message, and must not rewrite a committed entry. A message
 * that breaks this is a protocol violation: counted and dropped, never thrown.
 */
function validAppend(r: RaftCore, m: AppMsg): boolean {
  let prevTerm = m.prevTerm;
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i]!;
    if (e.index !== m.prevIndex + 1 + i || e.term < prevTerm || e.term > m.term) {
      r.counters.protocolViolations++;
      return false;
    }
    prevTerm = e.term;
    if (e.index <= r.log.committed) {
      const t = r.log.term(e.index);
      if (t !== undefined && t !== e.term) {
        r.counters.protocolViolations++;
        return false;
      }
    }
  }
  return true;
}

function appResp(r: RaftCore, to: string, index: number, reject: boolean) {
  return { type: MsgType.AppResp, term: r.term, from: r.id, to, index, reject, hintIndex: 0, hintTerm: 0 } as const;
}

/** Heartbeats carry min(match, commit), so the commit they bring is always within our log. */
export function handleHeartbeat(r: RaftCore, m: HeartbeatMsg): void {
  r.commitTo(Math.min(m.commit, r.log.lastIndex()));
  // The answer carries no durable state, only "no newer leader seen", so it may leave at once.
  r.send({ type: MsgType.HeartbeatResp, term: r.term, from: r.id, to: m.from, ctx: m.ctx });
}
