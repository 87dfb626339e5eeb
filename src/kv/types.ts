/**
 * Public data types of the replicated key-value store: key-value records,
 * operations, comparisons, results and watch events.
 * @module
 */

/** One key's current (or historical) value with its revisions. */
export interface KeyValue {
  /** The key. */
  readonly key: string;
  /** The value bytes. */
  readonly value: Uint8Array;
  /** Revision (Raft index) of the write that created this key's current incarnation. */
  readonly createRevision: number;
  /** Revision (Raft index) of the last write to this key. */
  readonly modRevision: number;
  /** Number of writes since creation (1 after the first put); reset by a delete. */
  readonly version: number;
  /** Id of the lease the key is attached to, or 0. */
  readonly lease: number;
}

/**
 * Which keys an operation covers: one key, every key with a prefix, or the
 * half-open range `[key, end)`.
 */
export interface KeySelector {
  /** The key, the prefix, or the start of the range. */
  readonly key: string;
  /** Every key starting with `key`. @default false */
  readonly prefix?: boolean;
  /** End of the range (exclusive); when set, the selector is the range `[key, end)`. */
  readonly end?: string;
}

/** Put a value (inside a transaction). */
export interface PutOp {
  /** Discriminant. */
  readonly type: 'put';
  /** The key. */
  readonly key: string;
  /** The value. */
  readonly value: Uint8Array;
  /** Attach the key to this lease (0 or omitted: none). */
  readonly lease?: number;
}

/** Delete one key, a prefix or a range (inside a transaction). */
export interface DeleteOp extends KeySelector {
  /** Discriminant. */
  readonly type: 'delete';
}

/** Read one key, a prefix or a range (inside a transaction, at the transaction's revision). */
export interface RangeOp extends KeySelector {
  /** Discriminant. */
  readonly type: 'range';
  /** At most this many keys (0: no limit). @default 0 */
  readonly limit?: number;
}

/** An operation of a transaction branch. */
export type TxnOp = PutOp | DeleteOp | RangeOp;

/** What a {@link Compare} looks at: the value, version, create/mod revision or lease of a key. */
export type CompareTarget = 'value' | 'version' | 'createRevision' | 'modRevision' | 'lease';

/** A comparison operator. */
export type CompareOp = '=' | '!=' | '<' | '>';

/**
 * One condition of a transaction, as etcd's: compare a key's field with a
 * constant. A missing key has version, revisions and lease 0 and an empty value.
 *
 * @example
 * ```ts
 * // "key does not exist"
 * const c: Compare = { key: 'k', target: 'createRevision', op: '=', value: 0 };
 * ```
 */
export interface Compare {
  /** The key to look at. */
  readonly key: string;
  /** Which field. */
  readonly target: CompareTarget;
  /** How to compare. */
  readonly op: CompareOp;
  /** The constant: bytes for `value`, a number otherwise. */
  readonly value: Uint8Array | number;
}

/** A transaction: if every compare holds run `success`, else `failure`, atomically at one revision. */
export interface TxnRequest {
  /** Conditions, all of which must hold. */
  readonly compare: readonly Compare[];
  /** Operations run when every condition holds. */
  readonly success: readonly TxnOp[];
  /** Operations run otherwise. */
  readonly failure: readonly TxnOp[];
}

/** Result of a put. */
export interface PutResult {
  /** Discriminant. */
  readonly kind: 'put';
  /** The store's revision after the put. */
  readonly revision: number;
  /** The previous value, or null if the key did not exist. */
  readonly prev: KeyValue | null;
}

/** Result of a delete. */
export interface DeleteResult {
  /** Discriminant. */
  readonly kind: 'delete';
  /** The store's revision after the delete. */
  readonly revision: number;
  /** How many keys were deleted. */
  readonly deleted: number;
  /** The deleted keys' last values. */
  readonly prev: readonly KeyValue[];
}

/** Result of a range read. */
export interface RangeResult {
  /** Discriminant. */
  readonly kind: 'range';
  /** The revision the read reflects. */
  readonly revision: number;
  /** The keys found, in key order, at most `limit`. */
  readonly kvs: readonly KeyValue[];
  /** Whether more keys matched than `limit` allowed. */
  readonly more: boolean;
  /** How many keys matched in total. */
  readonly count: number;
}

/** Result of a transaction. */
export interface TxnResult {
  /** Discriminant. */
  readonly kind: 'txn';
  /** The store's revision after the transaction. */
  readonly revision: number;
  /** Whether the `success` branch ran. */
  readonly succeeded: boolean;
  /** One result per operation of the branch that ran. */
  readonly results: readonly (PutResult | DeleteResult | RangeResult)[];
}

/** A lease as granted or refreshed. */
export interface LeaseInfo {
  /** Discriminant. */
  readonly kind: 'lease';
  /** The store's revision. */
  readonly revision: number;
  /** The lease id (the Raft index of its grant). */
  readonly id: number;
  /** Time to live, ms. */
  readonly ttlMs: number;
  /** Replicated time at which the lease expires unless kept alive. */
  readonly expiresAt: number;
}

/** A watch event: one key changed at one revision. */
export interface WatchEvent {
  /** `put` or `delete`. */
  readonly type: 'put' | 'delete';
  /** The revision of the change. */
  readonly revision: number;
  /** The key. */
  readonly key: string;
  /** The value after a put; null after a delete. */
  readonly kv: KeyValue | null;
  /** The value before the change, or null if the key did not exist. */
  readonly prev: KeyValue | null;
}

/** Result of a lease revocation or expiry. */
export interface RevokeResult {
  /** Discriminant. */
  readonly kind: 'revoke';
  /** The store's revision after deleting the leases' keys. */
  readonly revision: number;
  /** The leases revoked (those that existed). */
  readonly ids: readonly number[];
  /** How many keys were deleted. */
  readonly deleted: number;
}

/** Result of opening a session. */
export interface SessionResult {
  /** Discriminant. */
  readonly kind: 'session';
  /** The store's revision. */
  readonly revision: number;
  /** The new session's id. */
  readonly id: number;
}

/** Result of a compaction. */
export interface CompactResult {
  /** Discriminant. */
  readonly kind: 'compact';
  /** The store's revision. */
  readonly revision: number;
  /** Revisions at or below this one are gone. */
  readonly compactRevision: number;
}

/** Result of an extension command (for example the membership table's). */
export interface ExtResult {
  /** Discriminant. */
  readonly kind: 'ext';
  /** The store's revision after the command. */
  readonly revision: number;
  /** The extension's result, plain data. */
  readonly value: unknown;
}

/** Result of a command with nothing to report (closing a session). */
export interface OkResult {
  /** Discriminant. */
  readonly kind: 'ok';
  /** The store's revision. */
  readonly revision: number;
}

/** Stable codes of error results. */
export type KvErrorCode = 'INVALID_INPUT' | 'PRECONDITION_FAILED' | 'COMPACTED' | 'NOT_FOUND' | 'SESSION_EXPIRED' | 'INTERNAL';

/** A command that failed: nothing of it was applied. */
export interface ErrorResult {
  /** Discriminant. */
  readonly kind: 'error';
  /** Why. */
  readonly code: KvErrorCode;
  /** Human-readable detail. */
  readonly message: string;
  /** The store's revision (unchanged by the command). */
  readonly revision: number;
  /** With `COMPACTED`: the requested revision and the compacted one. */
  readonly compacted?: {
    /** The revision the command asked for. */
    readonly requested: number;
    /** The store's compacted revision: revisions at or below it are gone. */
    readonly at: number;
  };
}

/** Every result `KvStateMachine.apply` returns. */
export type KvResult =
  | PutResult
  | DeleteResult
  | TxnResult
  | LeaseInfo
  | RevokeResult
  | SessionResult
  | CompactResult
  | ExtResult
  | OkResult
  | ErrorResult;
