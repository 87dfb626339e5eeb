/**
 * Elections (§5.2, §9.6 PreVote): starting a campaign, answering vote
 * requests, and the candidate's step function.
 */
import { stepFollower } from './follower.js';
import type { RaftCore } from './raft.js';
import { MsgType, type Message, type VoteMsg } from './types.js';

/**
 * Why a campaign starts: `election` after a timeout (PreVote first, if
 * enabled), `vote` after a won PreVote round, `transfer` on TimeoutNow
 * (straight to a vote that ignores leader leases).
 */
export type CampaignKind = 'election' | 'vote' | 'transfer';

/** Start a campaign: a PreVote round, or a real election. */
export function campaign(r: RaftCore, kind: CampaignKind): void {
  if (!r.promotable()) return;
  const pre = r.opts.preVote && kind === 'election';
  if (pre) r.becomePreCandidate();
  else r.becomeCandidate();
  // PreVote asks about the term we would campaign in, without raising ours.
  const term = pre ? r.term + 1 : r.term;
  r.tracker.recordVote(r.id, true);
  if (tally(r)) return;
  const type = pre ? MsgType.PreVote : MsgType.Vote;
  const lastIndex = r.log.lastIndex();
  const lastTerm = r.log.lastTerm();
  for (const id of r.tracker.voters()) {
    if (id === r.id) continue;
    // A candidate's vote requests leave only after its new term and self-vote are durable.
    r.sendAfterPersist({ type, term, from: r.id, to: id, lastIndex, lastTerm, force: kind === 'transfer' });
  }
}

/** Count votes; on a win move on (pre-candidate → candidate → leader), on a loss step down. Returns whether decided. */
function tally(r: RaftCore): boolean {
  const result = r.tracker.tallyVotes();
  if (result === 'won') {
    if (r.role === 'precandidate') campaign(r, 'vote');
    else r.becomeLeader();
    return true;
  }
  if (result === 'lost') {
    r.becomeFollower(r.term, null);
    return true;
  }
  return false;
}

/** §5.2, §5.4.1: grant a vote (or pre-vote) at most once per term, and only to an up-to-date log. */
export function handleVoteRequest(r: RaftCore, m: VoteMsg): void {
  const pre = m.type === MsgType.PreVote;
  const canVote =
    r.vote === m.from ||
    (r.vote === null && r.leaderId === null) ||
    // A pre-vote for a future term does not bind us, so it may be granted while we have a vote or a leader.
    (pre && m.term > r.term);
  const respType = pre ? MsgType.PreVoteResp : MsgType.VoteResp;
  if (canVote && r.log.isUpToDate(m.lastIndex, m.lastTerm)) {
    r.sendAfterPersist({ type: respType, term: m.term, from: r.id, to: m.from, reject: false });
    if (!pre) {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    if (pre) r.counters.preVoteRejections++;
    r.sendAfterPersist({ type: respType, term: r.term, from: r.id, to: m.from, reject: true });
  }
}

/** Step function of candidates and pre-candidates. */
export function stepCandidate(r: RaftCore, m: Message): void {
  switch (m.type) {
    case MsgType.App:
    case MsgType.Heartbeat:
    case MsgType.Snapshot:
      // A leader exists in our term: give up and follow it.
      r.becomeFollower(m.term, m.from);
      stepFollower(r, m);
      return;
    case MsgType.PreVoteResp:
      // A grant carries the term asked for (ours + 1); a grant of our own term answered an earlier round.
      if (r.role === 'precandidate' && (m.reject || m.term > r.term)) recordAndTally(r, m.from, !m.reject);
      return;
    case MsgType.VoteResp:
      if (r.role === 'candidate') recordAndTally(r, m.from, !m.reject);
      return;
    default:
      // Proposals and reads have nowhere to go without a leader; they time out at the driver.
      return;
  }
}

function recordAndTally(r: RaftCore, from: string, granted: boolean): void {
  if (!r.tracker.isVoter(from)) return;
  r.tracker.recordVote(from, granted);
  tally(r);
}
