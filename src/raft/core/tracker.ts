/**
 * The leader's progress table and the configuration it counts against:
 * voters (possibly joint) and learners, each with a {@link Progress}.
 */
import { Progress } from './progress.js';
import { allVoters, jointCommitted, jointHasMajority, jointVoteResult, type VoteResult, type VoterConfig } from './quorum.js';
import type { NodeId } from './types.js';

/** A cluster configuration: voters (joint while changing) and learners. */
export interface ClusterConfig extends VoterConfig {
  /** Non-voting members. */
  readonly learners: ReadonlySet<NodeId>;
}

/** A single-majority configuration of `voters`, no learners. */
export function simpleConfig(voters: Iterable<NodeId>, learners: Iterable<NodeId> = []): ClusterConfig {
  return { incoming: new Set(voters), outgoing: new Set(), learners: new Set(learners) };
}

export class ProgressTracker {
  config: ClusterConfig;
  readonly progress = new Map<NodeId, Progress>();
  /** Votes received in the current election. */
  readonly votes = new Map<NodeId, boolean>();
  private voterCache: Set<NodeId>;

  constructor(
    config: ClusterConfig,
    private readonly maxInflight: number,
    private readonly maxInflightBytes: number,
  ) {
    this.config = config;
    this.voterCache = allVoters(config);
  }

  /** Every voter, of both halves of a joint config. */
  voters(): ReadonlySet<NodeId> {
    return this.voterCache;
  }

  isVoter(id: NodeId): boolean {
    return this.voterCache.has(id);
  }

  isLearner(id: NodeId): boolean {
    return this.config.learners.has(id);
  }

  /** Every member: voters and learners. */
  members(): NodeId[] {
    return [...this.voterCache, ...this.config.learners];
  }

  /** Replace the configuration, keeping progress of members that stay. */
  setConfig(config: ClusterConfig, lastIndex: number): void {
    this.config = config;
    this.voterCache = allVoters(config);
    const keep = new Set(this.members());
    for (const id of [...this.progress.keys()]) if (!keep.has(id)) this.progress.delete(id);
    for (const id of keep) {
      const pr = this.progress.get(id);
      if (pr === undefined) {
        const fresh = new Progress(lastIndex + 1, this.maxInflight, this.maxInflightBytes, this.isLearner(id));
        // A new member gets the benefit of the doubt until the next CheckQuorum round.
        fresh.recentActive = true;
        this.progress.set(id, fresh);
      } else pr.isLearner = this.isLearner(id);
    }
  }

  /** Fresh progress for every member (a new leader), next = lastIndex + 1. */
  resetProgress(lastIndex: number): void {
    this.progress.clear();
    for (const id of this.members()) this.progress.set(id, new Progress(lastIndex + 1, this.maxInflight, this.maxInflightBytes, this.isLearner(id)));
  }

  /** The highest index acknowledged by a quorum of voters. */
  committed(): number {
    return jointCommitted(this.config, (id) => this.progress.get(id)?.match ?? 0);
  }

  /** The highest value a quorum of voters has reached, given each voter's value. */
  quorumValue(valueOf: (id: NodeId) => number): number {
    return jointCommitted(this.config, valueOf);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    return jointVoteResult(this.config, this.votes);
  }

  /** Whether the voters marked recently active form a quorum. */
  quorumActive(self: NodeId): boolean {
    return jointHasMajority(this.config, (id) => id === self || (this.progress.get(id)?.recentActive ?? false));
  }

  /** Whether `acks` holds a quorum of voters. */
  isQuorum(acks: ReadonlySet<NodeId>): boolean {
    return jointHasMajority(this.config, (id) => acks.has(id));
  }
}
