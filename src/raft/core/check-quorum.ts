/**
 * CheckQuorum (dissertation §6.2): a leader that has not heard from a
 * quorum of voters within an election timeout steps down, so a leader cut
 * off from the majority stops taking proposals and serving reads. The
 * leader's progress tracker carries one `recentActive` mark per member,
 * set by every message from it and cleared at each check.
 * @module
 */
import type { RaftCore } from './raft.js';
import type { NodeId } from './types.js';

/** Was a quorum heard from since the last check? Clears the marks for the next round. */
export function checkQuorumActive(r: RaftCore): boolean {
  const ok = r.tracker.quorumActive(r.id);
  for (const [id, pr] of r.tracker.progress) {
    if (id === r.id) continue;
    pr.activeBefore = pr.recentActive;
    pr.recentActive = false;
  }
  return ok;
}

/**
 * A granted vote is contact within this election, so the voters count as
 * heard from in the new leader's first CheckQuorum round (as
 * hashicorp/raft starts a follower's last contact at the leader's start).
 * Without it a leader must hear back from a quorum within its first
 * election timeout: when round trips approach that timeout (30% loss and
 * 100 ms delays against a 100 ms timeout, seed 500138 of the
 * lossy-network scenario) fresh leaders stepped down one after another for
 * 14 s without committing. A leader cut off right after winning still
 * steps down within two election timeouts of winning, as one whose
 * followers fall silent does in any later round.
 */
export function markVotersActive(r: RaftCore, voters: readonly NodeId[]): void {
  for (const id of voters) {
    const pr = r.tracker.progress.get(id);
    if (pr !== undefined && id !== r.id) pr.recentActive = true;
  }
}
