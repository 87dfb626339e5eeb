/**
 * Manager liveness for the MANAGER STATUS column, derived at read time.
 *
 * `RaftNode.status()` does not (yet) say when the leader last heard from
 * each follower, so {@link LivenessTracker} wraps a node's transport and
 * records when a message from each peer last arrived. On the leader that
 * covers every voter (heartbeat answers); elsewhere only the leader.
 * @module
 */
import type { Clock } from '../clock.js';
import type { NodeId } from '../raft/core/types.js';
import type { RaftStatus } from '../raft/node.js';
import type { RaftTransport } from '../transport/transport.js';
import type { ManagerStatus } from './types.js';

/** Answers "when did this node last hear from `id`?" on its clock. */
export interface LivenessSource {
  /** Time of the last message from `id`, or undefined if none. */
  lastHeard(id: NodeId): number | undefined;
  /** The current time on the same clock. */
  now(): number;
}

/**
 * Records the arrival time of every message per sender.
 *
 * @example
 * ```ts
 * const live = new LivenessTracker(clock);
 * const node = new RaftNode({ ..., transport: live.wrap(net.transport('a')) });
 * const table = new MembershipStore({ client, liveness: live });
 * ```
 */
export class LivenessTracker implements LivenessSource {
  private readonly heard = new Map<NodeId, number>();

  constructor(private readonly clock: Clock) {}

  /** A transport that delivers as `inner` does and records each sender's last message. */
  wrap(inner: RaftTransport): RaftTransport {
    const wrapped: RaftTransport = {
      start: (handler) =>
        inner.start((m) => {
          this.heard.set(m.from, this.clock.now());
          handler(m);
        }),
      send: (messages) => inner.send(messages),
      close: () => inner.close(),
    };
    if (inner.addressOf !== undefined) wrapped.addressOf = (id) => inner.addressOf!(id);
    return wrapped;
  }

  lastHeard(id: NodeId): number | undefined {
    return this.heard.get(id);
  }

  now(): number {
    return this.clock.now();
  }
}

/** The part of `RaftNode.status()` manager status is derived from. */
export type RaftView = Pick<RaftStatus, 'id' | 'role' | 'leaderId' | 'running'> & {
  /** On the leader: each member's replication progress; null or absent elsewhere. */
  readonly progress?: Readonly<Record<NodeId, {
    /** Heard from recently (see {@link MemberProgress.recentActive}); decides `reachable` when there is no liveness source. */
    readonly recentActive?: boolean;
  }>> | null;
};

/**
 * A manager's status as this replica sees it: `leader` for the known
 * leader; on the leader, `reachable` if heard from within `withinMs` (with
 * a `liveness` source) or active in the current CheckQuorum round (without
 * one), else `unreachable`; this node itself is `reachable`; anything this
 * replica cannot observe is `unknown`.
 */
export function managerStatusOf(id: NodeId, raft: RaftView, liveness: LivenessSource | undefined, withinMs: number): ManagerStatus {
  if (id === raft.leaderId) return 'leader';
  if (id === raft.id) return raft.running ? 'reachable' : 'unreachable';
  if (raft.role !== 'leader') return 'unknown';
  if (liveness === undefined) return raft.progress?.[id]?.recentActive === true ? 'reachable' : 'unreachable';
  const t = liveness.lastHeard(id);
  return t !== undefined && liveness.now() - t <= withinMs ? 'reachable' : 'unreachable';
}

/**
 * Whether a voter change keeps a reachable quorum. `voters` are the
 * current voters, `reachable` says which of them answer; adding a voter
 * counts it as reachable (it is caught up as a learner first).
 */
export function keepsQuorum(voters: readonly NodeId[], reachable: (id: NodeId) => boolean, change: { readonly add: NodeId } | { readonly remove: NodeId }): boolean {
  const next = 'add' in change ? [...new Set([...voters, change.add])] : voters.filter((v) => v !== change.remove);
  if (next.length === 0) return false;
  const up = next.filter((v) => ('add' in change && v === change.add) || reachable(v)).length;
  return up >= Math.floor(next.length / 2) + 1;
}
