/**
 * Typed errors. Every failure a caller can act on is a {@link QuorumkitError}
 * with a stable `code`; test for one with {@link isQuorumkitError}, which
 * works even when two copies of the package are installed.
 *
 * @example
 * ```ts
 * try { await node.propose(cmd); }
 * catch (e) {
 *   if (isQuorumkitError(e, 'NOT_LEADER')) retryAt(e.leaderAddress);
 * }
 * ```
 * @module
 */

/** Every stable error code this package throws. */
export type ErrorCode =
  | 'NOT_LEADER'
  | 'NO_QUORUM'
  | 'TIMEOUT'
  | 'STOPPED'
  | 'PROPOSAL_DROPPED'
  | 'LEADERSHIP_LOST'
  | 'DECODE'
  | 'INVALID_CONFIG'
  | 'INVALID_INPUT'
  | 'STORAGE_CORRUPTION'
  | 'STORAGE_FAILURE'
  | 'CONFIG_CHANGE_IN_PROGRESS'
  | 'AUTH'
  | 'COMPACTED'
  | 'PRECONDITION_FAILED'
  | 'TRANSPORT';

/** The brand that marks our errors across package copies (a registered symbol). */
const BRAND = Symbol.for('quorumkit.error');

/** Options common to every {@link QuorumkitError}. */
export interface QuorumkitErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /**
   * Whether the failed operation definitely had no effect (`true`) or may
   * have been applied (`false`). Omitted when the question does not arise.
   */
  definite?: boolean;
}

/**
 * Base class of every error quorumkit throws on purpose.
 *
 * @example
 * ```ts
 * if (e instanceof QuorumkitError && e.definite) retrySafely();
 * ```
 */
export class QuorumkitError extends Error {
  /** Stable machine-readable code; never changes between versions. */
  readonly code: ErrorCode;
  /** `true` if nothing was applied, `false` if it may have been, `undefined` if not applicable. */
  readonly definite: boolean | undefined;

  constructor(code: ErrorCode, message: string, options: QuorumkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.definite = options.definite;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }
}

/**
 * True if `e` is a quorumkit error (from any installed copy), optionally with the given code.
 *
 * @example
 * ```ts
 * if (isQuorumkitError(e, 'TIMEOUT')) console.log('may have applied');
 * ```
 */
export function isQuorumkitError(e: unknown, code?: ErrorCode): e is QuorumkitError {
  if (typeof e !== 'object' || e === null) return false;
  if ((e as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (e as { code?: unknown }).code === code;
}

/** This node is not the leader; the proposal was not appended (definite). */
export class NotLeaderError extends QuorumkitError {
  /** The leader's id if known, else `null`. */
  readonly leaderId: string | null;
  /** The leader's address if known, else `null`. */
  readonly leaderAddress: string | null;
  constructor(leaderId: string | null, leaderAddress: string | null = null) {
    super('NOT_LEADER', leaderId === null ? 'Not the leader, and no leader is known' : `Not the leader; the leader is ${leaderId}`, { definite: true });
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
  }
}

/** No majority of voters is reachable, so the operation cannot complete. */
export class NoQuorumError extends QuorumkitError {
  constructor(message = 'No quorum: a majority of voters is not reachable', options: QuorumkitErrorOptions = { definite: true }) {
    super('NO_QUORUM', message, options);
  }
}

/** The operation did not complete in time; it may still be applied (indefinite). */
export class TimeoutError extends QuorumkitError {
  constructor(message = 'Timed out', options: QuorumkitErrorOptions = { definite: false }) {
    super('TIMEOUT', message, options);
  }
}

/** The node was stopped before the operation completed. */
export class StoppedError extends QuorumkitError {
  constructor(message = 'The node is stopped', options: QuorumkitErrorOptions = { definite: false }) {
    super('STOPPED', message, options);
  }
}

/** The proposal was refused or discarded before it could commit (definite). */
export class ProposalDroppedError extends QuorumkitError {
  constructor(message = 'Proposal dropped', options: QuorumkitErrorOptions = { definite: true }) {
    super('PROPOSAL_DROPPED', message, options);
  }
}

/** Leadership was lost after the entry was appended; it may still commit (indefinite). */
export class LeadershipLostError extends QuorumkitError {
  constructor(message = 'Leadership lost before the entry committed; it may still be applied') {
    super('LEADERSHIP_LOST', message, { definite: false });
  }
}

/** A frame or field could not be decoded or failed validation. */
export class DecodeError extends QuorumkitError {
  constructor(message: string, cause?: unknown) {
    super('DECODE', message, cause === undefined ? {} : { cause });
  }
}

/** An options object is invalid; the message says "Expected … got …". */
export class InvalidConfigError extends QuorumkitError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** Client input was rejected before anything was proposed (definite). */
export class InvalidInputError extends QuorumkitError {
  constructor(message: string) {
    super('INVALID_INPUT', message, { definite: true });
  }
}

/** Persistent state failed validation; the node refuses to serve. */
export class StorageCorruptionError extends QuorumkitError {
  constructor(message: string, cause?: unknown) {
    super('STORAGE_CORRUPTION', message, cause === undefined ? {} : { cause });
  }
}

/** A storage write or sync failed; the node stops (fail-stop) rather than retrying. */
export class StorageFailureError extends QuorumkitError {
  constructor(message: string, cause?: unknown) {
    super('STORAGE_FAILURE', message, cause === undefined ? {} : { cause });
  }
}

/** A configuration change is already in flight (definite). */
export class ConfigChangeInProgressError extends QuorumkitError {
  constructor(message = 'A configuration change is already in progress') {
    super('CONFIG_CHANGE_IN_PROGRESS', message, { definite: true });
  }
}

/** Authentication or authorization failed (wrong cluster, key or token). */
export class AuthError extends QuorumkitError {
  constructor(message: string) {
    super('AUTH', message);
  }
}

/** A watch or range asked for a revision older than the compacted one (definite: nothing was read). */
export class CompactedError extends QuorumkitError {
  /** The oldest revision still available is `compactRevision + 1`. */
  readonly compactRevision: number;
  constructor(requested: number, compactRevision: number) {
    super('COMPACTED', `Revision ${requested} is compacted; the oldest available is ${compactRevision + 1}`, { definite: true });
    this.compactRevision = compactRevision;
  }
}

/** A precondition of the operation did not hold (a compare failed, a rule refused it); nothing was applied (definite). */
export class PreconditionFailedError extends QuorumkitError {
  constructor(message: string) {
    super('PRECONDITION_FAILED', message, { definite: true });
  }
}

/** Why a {@link TransportError} was raised. */
export type TransportErrorReason = 'version' | 'cluster' | 'identity' | 'handshake' | 'protocol' | 'listen';

/**
 * A connection was refused or closed by a transport: a peer of another
 * protocol version or cluster, a certificate naming another node, a
 * malformed handshake, bytes that break the framing or the codec, or an
 * error of the listening socket. The transport drops the connection and
 * counts it; nothing is adopted.
 */
export class TransportError extends QuorumkitError {
  /** What went wrong, for logs and metrics. */
  readonly reason: TransportErrorReason;
  /** The peer's node id, when known. */
  readonly peerId: string | null;
  constructor(reason: TransportErrorReason, message: string, peerId: string | null = null, cause?: unknown) {
    super('TRANSPORT', message, cause === undefined ? {} : { cause });
    this.reason = reason;
    this.peerId = peerId;
  }
}

/** Internal helper: build the "Expected … got …" message of an {@link InvalidConfigError}. */
export function expectedGot(field: string, expected: string, got: unknown): InvalidConfigError {
  let shown: string;
  try { shown = JSON.stringify(got) ?? String(got); } catch { shown = String(got); }
  return new InvalidConfigError(`${field}: expected ${expected}, got ${shown}`);
}
