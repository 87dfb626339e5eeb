/**
 * The `KvExtension` contract: a deterministic command handler that owns a
 * reserved key space of the {@link KvStateMachine} (keys starting with
 * `"\u0000"`), so its state lives in the same revisions, watches and
 * snapshots as the user's keys. The membership table is one.
 * @module
 */
import type { KvErrorCode, KeySelector, KeyValue } from './types.js';

/** What an extension's `apply` may read and write. Writes take effect only if it returns `ok`. */
export interface KvExtensionContext {
  /** The revision (Raft index) this command writes at. */
  readonly revision: number;
  /** Replicated time, ms: monotonic, the same on every replica. */
  readonly time: number;
  /** A key's current value (writes of this command not included). */
  get(key: string): KeyValue | null;
  /** Current values of the keys a selector covers, in key order. */
  range(sel: KeySelector): readonly KeyValue[];
  /** Write a key (reserved keys only). */
  put(key: string, value: Uint8Array): void;
  /** Delete a key (reserved keys only). */
  delete(key: string): void;
}

/** What an extension's `apply` returns: a plain-data value, or an error (nothing written). */
export type KvExtensionOutcome =
  | {
      /** Applied: the extension's writes are made. */
      readonly ok: true;
      /** Returned to the caller as the `value` of the `ext` result. */
      readonly value: unknown;
    }
  | {
      /** Refused: the extension's writes are discarded. */
      readonly ok: false;
      /** Error code of the `error` result. */
      readonly code: KvErrorCode;
      /** Human-readable detail of the `error` result. */
      readonly message: string;
    };

/**
 * A deterministic command handler plugged into a {@link KvStateMachine}.
 *
 * Requirements: `apply` depends only on `payload` and `ctx` (no clocks,
 * randomness or I/O); it validates `payload` field by field (it arrives
 * from the wire) and returns an error outcome rather than throwing; it
 * writes only keys starting with `"\u0000"` + its name.
 */
export interface KvExtension {
  /** Unique name; its keys start with `"\u0000" + name + "/"`. */
  readonly name: string;
  /** Apply one command. */
  apply(payload: unknown, ctx: KvExtensionContext): KvExtensionOutcome;
}
