/**
 * The node table (`docker node ls`) on the replicated KV store:
 * {@link MembershipStore}, the {@link membershipExtension} every replica's
 * `KvStateMachine` needs, {@link formatTable} and manager liveness.
 * @module
 */
export { MembershipStore, MEMBERSHIP_STORE_DEFAULTS } from './store.js';
export type { MembershipStoreOptions, VoterChanger, RemoveOptions } from './store.js';
export { membershipExtension } from './extension.js';
export { formatTable } from './table.js';
export type { FormatTableOptions } from './table.js';
export { LivenessTracker, managerStatusOf, keepsQuorum } from './liveness.js';
export type { LivenessSource, RaftView } from './liveness.js';
export { raftVoterChanger } from './voters.js';
export { NODE_ROLES, AVAILABILITIES, NODE_STATUSES } from './types.js';
export type {
  NodeRole,
  Availability,
  NodeStatus,
  ManagerStatus,
  StoredNode,
  NodeRecord,
  RegisterInput,
  UpdateInput,
  ListFilter,
  MembershipEvent,
} from './types.js';
