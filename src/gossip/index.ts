/**
 * Gossip: SWIM failure detection with the Lifeguard refinements, piggyback
 * dissemination, change-log anti-entropy, user broadcasts, a per-member
 * key/value table and an AES-GCM keyring.
 * @module
 */
export { GossipNode } from './node.js';
export type { GossipNodeOptions, GossipNodeEvents, GossipNodeStats } from './node.js';
export { GossipCore } from './core.js';
export type { GossipOutput, GossipCoreDeps, OutPacket, GossipCoreStats } from './core.js';
export { GOSSIP_DEFAULTS, resolveGossipOptions } from './config.js';
export type { GossipOptions, GossipTunables, ResolvedGossipOptions } from './config.js';
export type { GossipTransport, GossipPacketHandler } from './transport.js';
export { MemoryGossipNetwork } from './memory-transport.js';
export type { MemoryGossipNetworkOptions } from './memory-transport.js';
export { GossipKeyring, ENCRYPTION_OVERHEAD } from './keyring.js';
export { IdInterner } from './members.js';
export type { MemberInfo, MemberState } from './members.js';
export { retransmitBudget } from './broadcast-queue.js';
export { minSuspicionTimeout, suspicionTimeout } from './suspicion.js';
export type {
  GossipEvent, JoinEvent, UpdateEvent, SuspectEvent, AliveEvent, DeadEvent, LeaveEvent,
  BroadcastEvent, KvEvent, IncarnationEvent, RefusedEvent, JoinedEvent,
} from './events.js';
export type {
  GossipMsg, UpdateMsg, PingMsg, AckMsg, NackMsg, PingReqMsg, AliveMsg, SuspectMsg, DeadMsg,
  UserMsg, KvMsg, SyncReqMsg, SyncRespMsg, DigestMsg, RefusedMsg, HaveMsg, WantMsg,
} from '../codec/gossip.js';
export type { JoinAuthenticator, JoinSecret } from './join-secret.js';
export { MIN_JOIN_SECRET_BYTES } from './join-secret.js';
