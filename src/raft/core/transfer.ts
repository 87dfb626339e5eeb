/**
 * Leadership transfer (Raft dissertation §3.10): the leader stops taking
 * proposals, catches the target up, then tells it to campaign at once with
 * TimeoutNow. A transfer that does not finish within an election timeout is
 * abandoned and the leader keeps leading.
 */
import { sendAll } from './leader.js';
import type { RaftCore } from './raft.js';
import { MsgType, type NodeId } from './types.js';

/** Outcome of `RaftCore.transferLeadership`. */
export type TransferResult =
  | {
      /** Started (or nothing to do). */
      readonly ok: true;
      /** The target. */
      readonly to: NodeId;
    }
  | {
      /** Refused. */
      readonly ok: false;
      /** Why. */
      readonly reason: 'not-leader' | 'invalid-target' | 'no-target';
    };

/** Leader: begin handing leadership to `to` (or to the most caught-up voter). */
export function startTransfer(r: RaftCore, to?: NodeId): TransferResult {
  if (r.role !== 'leader') return { ok: false, reason: 'not-leader' };
  const target = to ?? mostCaughtUpVoter(r);
  if (target === null) return { ok: false, reason: 'no-target' };
  if (!r.tracker.isVoter(target)) return { ok: false, reason: 'invalid-target' };
  if (target === r.id) return { ok: true, to: target };
  r.leadTransferee = target;
  r.transferElapsed = 0;
  const pr = r.tracker.progress.get(target)!;
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, target);
  else sendAll(r, target, true);
  return { ok: true, to: target };
}

/** The voter other than this node with the highest match index (lowest id on ties). */
export function mostCaughtUpVoter(r: RaftCore): NodeId | null {
  let best: NodeId | null = null;
  let bestMatch = -1;
  for (const id of [...r.tracker.voters()].sort()) {
    if (id === r.id) continue;
    const m = r.tracker.progress.get(id)?.match ?? 0;
    if (m > bestMatch) {
      best = id;
      bestMatch = m;
    }
  }
  return best;
}

/** The transferee acknowledged up to our last index: tell it to campaign. */
export function maybeFinishTransfer(r: RaftCore, from: NodeId): void {
  if (r.leadTransferee !== from) return;
  if (r.tracker.progress.get(from)?.match === r.log.lastIndex()) sendTimeoutNow(r, from);
}

/** Tell `to` to campaign at once; this term's lease reads end here. */
export function sendTimeoutNow(r: RaftCore, to: NodeId): void {
  r.timeoutNowSent = true;
  r.send({ type: MsgType.TimeoutNow, term: r.term, from: r.id, to });
}

/** Leader tick: abandon a transfer that took longer than an election timeout. */
export function tickTransfer(r: RaftCore): void {
  if (r.leadTransferee === null) return;
  if (++r.transferElapsed >= r.opts.electionTicks) {
    r.leadTransferee = null;
    r.counters.transfersAborted++;
  }
}
