/**
 * The replicated key-value store: {@link KvStateMachine} (give one to each
 * `RaftNode`), {@link KvClient} (writes as proposals, linearizable or stale
 * reads, watches), {@link LeaseExpirer} (the leader's lease expiry).
 * @module
 */
export { KvStateMachine } from './state-machine.js';
export type { RangeOptions } from './state-machine.js';
export { KvClient } from './client.js';
export type { ReadOptions } from './client.js';
export { LeaseExpirer, LEASE_EXPIRER_DEFAULTS } from './lease-expirer.js';
export type { LeaseExpirerOptions } from './lease-expirer.js';
export { Watcher } from './watch.js';
export type { WatchOptions } from './watch.js';
export { KV_STATE_MACHINE_DEFAULTS, KV_CLIENT_DEFAULTS } from './options.js';
export type { KvStateMachineOptions, KvClientOptions } from './options.js';
export type { KvExtension, KvExtensionContext, KvExtensionOutcome } from './extension.js';
export type {
  KeyValue,
  KeySelector,
  PutOp,
  DeleteOp,
  RangeOp,
  TxnOp,
  Compare,
  CompareTarget,
  CompareOp,
  TxnRequest,
  PutResult,
  DeleteResult,
  RangeResult,
  TxnResult,
  LeaseInfo,
  RevokeResult,
  SessionResult,
  CompactResult,
  ExtResult,
  OkResult,
  ErrorResult,
  KvErrorCode,
  KvResult,
  WatchEvent,
} from './types.js';
