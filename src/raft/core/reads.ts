/**
 * Linearizable reads (dissertation §6.4): a read request on the leader is
 * served once the leader knows its commit index is current, by a heartbeat
 * round a quorum echoed (ReadIndex) or, with `readMode: 'lease'`, from a
 * lease those echoes date; a follower asks the leader. The rounds and the
 * lease are kept by the `ReadIndexTracker` (read-index.ts).
 * @module
 */
import { bcastHeartbeat } from './leader.js';
import type { RaftCore } from './raft.js';
import type { ReadRequest } from './read-index.js';
import type { ReadIndexResult } from './status.js';
import { MsgType, type NodeId } from './types.js';

/** Ask for a read point: served (or queued) here on the leader, sent to the leader from a follower. */
export function readIndex(r: RaftCore, ctx: number): ReadIndexResult {
  if (r.role === 'leader') {
    handleReadRequest(r, { from: r.id, ctx });
    return { ok: true };
  }
  if (r.role === 'follower' && r.leaderId !== null) {
    r.send({ type: MsgType.ReadIndex, term: r.term, from: r.id, to: r.leaderId, ctx });
    return { ok: true };
  }
  return { ok: false, leaderId: r.leaderId };
}

/** Leader: serve or queue a read request from this node or a follower. */
export function handleReadRequest(r: RaftCore, req: ReadRequest): void {
  // §6.4: the leader must have committed an entry of its term to know the latest commit index.
  if (r.log.term(r.log.committed) !== r.term) {
    r.counters.readIndexWaits++;
    r.pendingReads.push(req);
    return;
  }
  if (r.tracker.voters().size === 1 && r.tracker.isVoter(r.id)) {
    releaseRead(r, req, r.log.committed);
    return;
  }
  if (r.opts.readMode === 'lease' && leaseValid(r)) {
    r.counters.leaseReads++;
    releaseRead(r, req, r.log.committed);
    return;
  }
  r.reads.enqueue(req);
  if (r.reads.canStartRound()) bcastHeartbeat(r);
}

/** The highest heartbeat sequence echoed by a quorum of voters (this node echoes its newest). */
export function quorumSeq(r: RaftCore, ackedOf: (id: NodeId) => number): number {
  return r.tracker.quorumValue((id) => (id === r.id ? r.reads.current : ackedOf(id)));
}

/**
 * Lease: a quorum echoed a heartbeat sent at tick T, and those voters
 * ignore elections until T + election timeout, so until then (less the
 * allowed drift) no other leader can exist. Never after a TimeoutNow of
 * this term, which lets a voter ignore its lease.
 */
function leaseValid(r: RaftCore): boolean {
  if (r.timeoutNowSent || r.leadTransferee !== null) return false;
  const until = r.reads.leaseUntil((acked) => quorumSeq(r, acked), r.opts.electionTicks - r.opts.leaseDriftTicks);
  return r.ticks < until;
}

/** Hand a confirmed read to its requester. */
export function releaseRead(r: RaftCore, req: ReadRequest, index: number): void {
  if (req.from === r.id) r.readStates.push({ index, ctx: req.ctx });
  else r.send({ type: MsgType.ReadIndexResp, term: r.term, from: r.id, to: req.from, ctx: req.ctx, index });
}

