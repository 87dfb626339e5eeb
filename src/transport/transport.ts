/**
 * The `RaftTransport` adapter contract: how a {@link RaftNode}'s messages
 * reach its peers.
 * @module
 */
import type { Message, NodeId } from '../raft/core/types.js';

/** Receives validated messages addressed to this node. */
export type MessageHandler = (message: Message) => void;

/**
 * A message transport for one node.
 *
 * Requirements for implementations:
 * - `send` never throws and never blocks: it queues or drops. Raft tolerates
 *   loss, duplication and reordering, and retransmits, so a slow or dead
 *   peer's messages may be dropped; memory must stay bounded.
 * - Incoming frames are decoded and validated before the handler sees them
 *   (see `decodeRaftFrame`); malformed frames are dropped and counted, never
 *   thrown into the node. A message whose `from` is not the authenticated or
 *   connected peer, or whose `to` is not this node, is dropped.
 * - The handler is never called after `close()` resolves.
 */
export interface RaftTransport {
  /** Start delivering incoming messages to `handler`. */
  start(handler: MessageHandler): void | Promise<void>;
  /** Send messages (any mix of destinations). Best effort. */
  send(messages: readonly Message[]): void;
  /** A peer's address, if known, for redirecting clients (`NotLeaderError.leaderAddress`). */
  addressOf?(id: NodeId): string | null;
  /**
   * The cluster configuration changed: these are the members' addresses now
   * (those added with an address). A transport that dials peers by address
   * learns new members here; members no longer listed may be disconnected.
   */
  updatePeers?(addresses: Readonly<Record<NodeId, string>>): void;
  /** Stop sending and delivering. */
  close(): void | Promise<void>;
}
