/**
 * What the gossip core reports. The driver re-emits these as typed
 * eventemitter3 events of the same names.
 * @module
 */
import type { MemberInfo } from './members.js';

/** A member became known, or came back after being dead or having left. */
export interface JoinEvent {
  /** Event discriminant. */
  type: 'join';
  /** The member's current view (id, state, incarnation, address, metadata). */
  member: MemberInfo;
}
/** A live member's address or metadata changed. */
export interface UpdateEvent {
  /** Event discriminant. */
  type: 'update';
  /** The member's current view (id, state, incarnation, address, metadata). */
  member: MemberInfo;
}
/** A member is suspected of having failed. */
export interface SuspectEvent {
  /** Event discriminant. */
  type: 'suspect';
  /** The member's current view (id, state, incarnation, address, metadata). */
  member: MemberInfo;
}
/** A suspected member refuted the suspicion. */
export interface AliveEvent {
  /** Event discriminant. */
  type: 'alive';
  /** The member's current view (id, state, incarnation, address, metadata). */
  member: MemberInfo;
}
/** A member was declared dead. */
export interface DeadEvent {
  /** Event discriminant. */
  type: 'dead';
  /** The member's current view (id, state, incarnation, address, metadata). */
  member: MemberInfo;
}
/** A member left gracefully. */
export interface LeaveEvent {
  /** Event discriminant. */
  type: 'leave';
  /** The member's current view (id, state, incarnation, address, metadata). */
  member: MemberInfo;
}
/** A user broadcast arrived (fully reassembled). */
export interface BroadcastEvent {
  /** Event discriminant. */
  type: 'broadcast';
  /** Id of the member that broadcast it. */
  from: string;
  /** The reassembled payload. */
  payload: Uint8Array;
}
/** An entry of a member's key/value table changed; `value === null` means deleted. */
export interface KvEvent {
  /** Event discriminant. */
  type: 'kv';
  /** Id of the member whose table changed. */
  owner: string;
  /** The entry's key. */
  key: string;
  /** The new value, or `null` when the entry was deleted. */
  value: Uint8Array | null;
}
/** This member raised its own incarnation; persist it so a restart starts above it. */
export interface IncarnationEvent {
  /** Event discriminant. */
  type: 'incarnation';
  /** The new incarnation; pass it back as the `incarnation` option on restart. */
  incarnation: number;
}

/** A member refused this member's join request: it holds no valid join-secret proof (a wrong or missing secret). */
export interface RefusedEvent {
  /** Event discriminant. */
  type: 'refused';
  /** Id of the member that refused. */
  by: string;
}

/** The first answer to a `join` arrived: this member holds a peer's member table. */
export interface JoinedEvent {
  /** Event discriminant. */
  type: 'joined';
  /** Id of the member that answered. */
  via: string;
  /** Live members known once the answer merged, this one included. */
  members: number;
}

/** Every event of the core. */
export type GossipEvent =
  | JoinEvent | UpdateEvent | SuspectEvent | AliveEvent | DeadEvent | LeaveEvent
  | BroadcastEvent | KvEvent | IncarnationEvent | RefusedEvent | JoinedEvent;
