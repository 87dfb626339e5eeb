/**
 * quorumkit: embeddable Raft consensus, a replicated membership table and
 * SWIM gossip. This entry runs anywhere (Node, browsers, Deno, Bun); the
 * Node adapters live in `quorumkit/node`, the simulator in `quorumkit/testing`.
 * @module quorumkit
 */
export {
  QuorumkitError,
  isQuorumkitError,
  NotLeaderError,
  NoQuorumError,
  TimeoutError,
  StoppedError,
  ProposalDroppedError,
  LeadershipLostError,
  DecodeError,
  InvalidConfigError,
  InvalidInputError,
  StorageCorruptionError,
  StorageFailureError,
  ConfigChangeInProgressError,
  AuthError,
  CompactedError,
  PreconditionFailedError,
  TransportError,
} from './errors.js';
export type { ErrorCode, QuorumkitErrorOptions, TransportErrorReason } from './errors.js';
export { realClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { createPrng } from './util/prng.js';
export type { Prng } from './util/prng.js';

export { RaftNode } from './raft/node.js';
export type { RaftNodeEvents, RaftStatus } from './raft/node.js';
export { RAFT_NODE_DEFAULTS } from './raft/options.js';
export type { RaftNodeOptions, DefaultedNodeOptions } from './raft/options.js';
export type { StateMachine, ApplyMeta } from './raft/state-machine.js';
export { RaftCore } from './raft/core/raft.js';
export type { CoreStatus, CoreCounters, MemberProgress, ProposalInput, ReadIndexResult } from './raft/core/status.js';
export { RAFT_CORE_DEFAULTS } from './raft/core/config.js';
export type { RaftCoreOptions, RestoredSnapshot, DefaultedCoreOptions } from './raft/core/config.js';
export { EntryType, MsgType } from './raft/core/types.js';
export type {
  NodeId,
  Entry,
  EntryTypeValue,
  HardState,
  Role,
  Message,
  VoteMsg,
  VoteRespMsg,
  AppMsg,
  AppRespMsg,
  HeartbeatMsg,
  HeartbeatRespMsg,
  PropMsg,
  ReadIndexMsg,
  ReadIndexRespMsg,
  TimeoutNowMsg,
  SnapshotMsg,
  SnapshotRespMsg,
  SnapshotConfig,
  ReadySnapshot,
  ReadState,
  SoftState,
  Ready,
  ProposeResult,
} from './raft/core/types.js';

export { encodeRaftFrame, decodeRaftFrame, RAFT_PROTOCOL_VERSION } from './codec/raft.js';

export type { RaftStorage, PersistentState, StorageUpdate, SnapshotMeta, StoredSnapshot, SnapshotSaveOptions } from './storage/storage.js';
export { MemoryStorage } from './storage/memory.js';
export type { RaftTransport, MessageHandler } from './transport/transport.js';
export { MemoryNetwork, MemoryTransport } from './transport/memory.js';
export type { MemoryNetworkOptions } from './transport/memory.js';
export { FsError, isFsError } from './storage/fs.js';
export type { FileSystem, FileHandle, OpenOptions, FsErrorCode } from './storage/fs.js';
export { FileStorage } from './storage/file/file-storage.js';
export type { FileStorageStats } from './storage/file/file-storage.js';
export { FILE_STORAGE_DEFAULTS } from './storage/file/options.js';
export type { FileStorageOptions } from './storage/file/options.js';
export type { MembershipChange, StoredConfig, FullConfig } from './raft/core/confchange.js';
export type { ChangeResult, ChangeOptions } from './raft/core/membership.js';
export type { TransferResult } from './raft/core/transfer.js';
export type { ChangeMembershipOptions } from './raft/node.js';

export * from './kv/index.js';
export * from './membership/index.js';
export * from './gossip/index.js';
