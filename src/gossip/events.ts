/**
 * What the gossip core reports. The driver re-emits these as typed
 * eventemitter3 events of the same names.
 * @module
 */
import type { MemberInfo } from './members.js';

/** A member became known, or came back after being dead or having left. */
export interface JoinEvent { type: 'join'; member: MemberInfo }
/** A live member's address or metadata changed. */
export interface UpdateEvent { type: 'update'; member: MemberInfo }
/** A member is suspected of having failed. */
export interface SuspectEvent { type: 'suspect'; member: MemberInfo }
/** A suspected member refuted the suspicion. */
export interface AliveEvent { type: 'alive'; member: MemberInfo }
/** A member was declared dead. */
export interface DeadEvent { type: 'dead'; member: MemberInfo }
/** A member left gracefully. */
export interface LeaveEvent { type: 'leave'; member: MemberInfo }
/** A user broadcast arrived (fully reassembled). */
export interface BroadcastEvent { type: 'broadcast'; from: string; payload: Uint8Array }
/** An entry of a member's key/value table changed; `value === null` means deleted. */
export interface KvEvent { type: 'kv'; owner: string; key: string; value: Uint8Array | null }
/** This member raised its own incarnation; persist it so a restart starts above it. */
export interface IncarnationEvent { type: 'incarnation'; incarnation: number }

/** Every event of the core. */
export type GossipEvent =
  | JoinEvent | UpdateEvent | SuspectEvent | AliveEvent | DeadEvent | LeaveEvent
  | BroadcastEvent | KvEvent | IncarnationEvent;
