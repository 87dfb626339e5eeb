/**
 * Quorum math, apart from everything else so it can be tested alone.
 * A majority config is a set of voters; a joint config is two of them
 * (incoming, outgoing), and a decision needs a majority of each.
 * @module
 */
import type { NodeId } from './types.js';

/** Result of counting votes. */
export type VoteResult = 'won' | 'lost' | 'pending';

/**
 * The highest index that a majority of `voters` has acknowledged, given each
 * voter's acknowledged index (`ackedIndex`, missing counts as 0). An empty
 * config returns +Infinity so it never constrains a joint config.
 */
export function majorityCommitted(voters: ReadonlySet<NodeId>, ackedIndex: (id: NodeId) => number): number {
  const n = voters.size;
  if (n === 0) return Number.POSITIVE_INFINITY;
  const acked: number[] = [];
  for (const id of voters) acked.push(ackedIndex(id));
  acked.sort((a, b) => b - a);
  // The (n/2+1)-th highest value is held by a majority.
  return acked[Math.floor(n / 2)]!;
}

/** Tally `votes` (true = granted) of a majority config. Missing voters are pending. */
export function majorityVoteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let yes = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (yes >= q) return 'won';
  if (yes + missing >= q) return 'pending';
  return 'lost';
}

/** Whether `active` holds a majority of `voters`. */
export function hasMajority(voters: ReadonlySet<NodeId>, active: (id: NodeId) => boolean): boolean {
  if (voters.size === 0) return true;
  let n = 0;
  for (const id of voters) if (active(id)) n++;
  return n >= Math.floor(voters.size / 2) + 1;
}

/** A voter configuration, possibly joint (outgoing non-empty during a change). */
export interface VoterConfig {
  /** The voters (the new ones during a change). */
  readonly incoming: ReadonlySet<NodeId>;
  /** The old voters during a change; empty otherwise. */
  readonly outgoing: ReadonlySet<NodeId>;
}

/** Committed index of a (joint) config: the lower of both majorities. */
export function jointCommitted(cfg: VoterConfig, ackedIndex: (id: NodeId) => number): number {
  const a = majorityCommitted(cfg.incoming, ackedIndex);
  const b = majorityCommitted(cfg.outgoing, ackedIndex);
  return Math.min(a, b);
}

/** Vote result of a (joint) config: won only if both halves won, lost if either lost. */
export function jointVoteResult(cfg: VoterConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const a = majorityVoteResult(cfg.incoming, votes);
  const b = majorityVoteResult(cfg.outgoing, votes);
  if (a === 'won' && b === 'won') return 'won';
  if (a === 'lost' || b === 'lost') return 'lost';
  return 'pending';
}

/** Whether `active` holds a majority of both halves of a (joint) config. */
export function jointHasMajority(cfg: VoterConfig, active: (id: NodeId) => boolean): boolean {
  return hasMajority(cfg.incoming, active) && hasMajority(cfg.outgoing, active);
}

/** Every voter of a (joint) config. */
export function allVoters(cfg: VoterConfig): Set<NodeId> {
  return new Set([...cfg.incoming, ...cfg.outgoing]);
}
