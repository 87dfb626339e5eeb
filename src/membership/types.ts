/**
 * The node table's record types, as `docker node ls` and `docker node
 * inspect` show them.
 * @module
 */

/** A node's role: managers vote in Raft and hold the state; workers run tasks. */
export type NodeRole = 'manager' | 'worker';
/** Whether a node takes new work: `active`, `pause` (keeps what it has), `drain` (gives it up). */
export type Availability = 'active' | 'pause' | 'drain';
/** A node's health as last reported: `ready`, `down`, `unknown`, `disconnected`. */
export type NodeStatus = 'ready' | 'down' | 'unknown' | 'disconnected';
/**
 * A manager's standing in Raft, derived at read time from this replica's
 * Raft state (never stored): `leader`, `reachable`, `unreachable`, or
 * `unknown` when this replica cannot observe it (only the leader tracks
 * every voter's liveness; ask the leader's table).
 */
export type ManagerStatus = 'leader' | 'reachable' | 'unreachable' | 'unknown';

/** The roles, availabilities and statuses, for validation. */
export const NODE_ROLES: readonly NodeRole[] = ['manager', 'worker'];
/** Every {@link Availability}. */
export const AVAILABILITIES: readonly Availability[] = ['active', 'pause', 'drain'];
/** Every {@link NodeStatus}. */
export const NODE_STATUSES: readonly NodeStatus[] = ['ready', 'down', 'unknown', 'disconnected'];

/** What the replicated table stores per node. */
export interface StoredNode {
  /** Unique, never reused once removed. */
  readonly id: string;
  /** Host name, shown in the table. */
  readonly hostname: string;
  /** Address peers reach it at. */
  readonly address: string;
  /** Manager or worker. */
  readonly role: NodeRole;
  /** Whether it takes new work. */
  readonly availability: Availability;
  /** Health as last reported. */
  readonly status: NodeStatus;
  /** Engine (software) version, the table's ENGINE VERSION. */
  readonly version: string;
  /** User labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Replicated time of registration, ms. */
  readonly createdAt: number;
  /** Replicated time of the last change, ms. */
  readonly updatedAt: number;
}

/** A node as read: the stored record plus what is derived at read time. */
export interface NodeRecord extends StoredNode {
  /** For managers: their Raft standing as this replica sees it now; absent for workers. */
  readonly managerStatus?: ManagerStatus;
  /** Revision of the record's last change. */
  readonly revision: number;
}

/** What `register` takes. */
export interface RegisterInput {
  /** Unique node id. */
  readonly id: string;
  /** Host name. */
  readonly hostname: string;
  /** Address. */
  readonly address: string;
  /** Role at registration. @default 'worker' */
  readonly role?: NodeRole;
  /** Engine version. @default '' */
  readonly version?: string;
  /** Labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/** What `update` may change. */
export interface UpdateInput {
  /** New availability. */
  readonly availability?: Availability;
  /** New status. */
  readonly status?: NodeStatus;
  /** Replace every label. */
  readonly labels?: Readonly<Record<string, string>>;
  /** New host name. */
  readonly hostname?: string;
  /** New address. */
  readonly address?: string;
  /** New engine version. */
  readonly version?: string;
}

/** Filters of `list`; every given one must match. */
export interface ListFilter {
  /** Only this role. */
  readonly role?: NodeRole;
  /** Only this status. */
  readonly status?: NodeStatus;
  /** Only this availability. */
  readonly availability?: Availability;
  /** Only nodes with this label: `"key"` (any value) or `"key=value"`. */
  readonly label?: string;
}

/** A change of the node table. */
export interface MembershipEvent {
  /** `put`: registered or changed; `delete`: removed. */
  readonly type: 'put' | 'delete';
  /** The node. */
  readonly id: string;
  /** The record after the change (null when removed). */
  readonly node: StoredNode | null;
  /** The revision of the change. */
  readonly revision: number;
}
