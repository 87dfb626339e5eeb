/**
 * `raftVoterChanger`: the {@link VoterChanger} that changes a `RaftNode`'s
 * voter set for `MembershipStore.promote` / `demote`. Run it on the leader
 * (a follower's attempt fails with `NotLeaderError`).
 * @module
 */
import { isQuorumkitError } from '../errors.js';
import type { RaftNode } from '../raft/node.js';
import type { VoterChanger } from './store.js';

/**
 * Promotion adds the node as a learner, waits until it has caught up with
 * the log, then makes it a voter (joint consensus); demotion removes it
 * from the Raft configuration. Both are idempotent: a retry after a partial
 * failure picks up where the configuration is.
 *
 * @example
 * ```ts
 * const nodes = new MembershipStore({ client, voters: raftVoterChanger(node) });
 * await nodes.promote('worker-7');
 * ```
 */
export function raftVoterChanger(node: RaftNode<unknown>): VoterChanger {
  return {
    async addVoter(id: string, address: string): Promise<void> {
      const m = node.membership();
      if (m.voters.includes(id)) return;
      if (!m.learners.includes(id)) await node.addLearner(id, address.length > 0 ? address : undefined, { waitForCatchUp: true });
      await retryAfterRound(node, () => node.promote(id));
    },
    async removeVoter(id: string): Promise<void> {
      const m = node.membership();
      if (!m.voters.includes(id) && !m.learners.includes(id)) return;
      await retryAfterRound(node, () => node.removeServer(id));
    },
  };
}

/**
 * Run a change; if the leader refuses it for lack of a reachable quorum,
 * run one ReadIndex round (a heartbeat round the followers answer) and try
 * once more. The core judges reachability by members heard from in the
 * current CheckQuorum round, which starts empty, so a change asked for just
 * after a round began can be refused although every member is up.
 */
async function retryAfterRound(node: RaftNode<unknown>, change: () => Promise<void>): Promise<void> {
  try {
    await change();
  } catch (e) {
    if (!isQuorumkitError(e, 'NO_QUORUM')) throw e;
    await node.read();
    await change();
  }
}
