/**
 * Options of {@link KvStateMachine} and {@link KvClient}: one interface each,
 * one frozen defaults object each, one resolver each that throws
 * `InvalidConfigError` with "expected … got …".
 * @module
 */
import { realClock, type Clock } from '../clock.js';
import { expectedGot } from '../errors.js';
import { MAX_KEY_CHARS, MAX_VALUE_BYTES } from '../codec/kv.js';
import type { KvExtension } from './extension.js';

/**
 * Options of a {@link KvStateMachine}. Every replica must use the same
 * values: they decide what `apply` does.
 */
export interface KvStateMachineOptions {
  /** A session idle this long in replicated time expires (its results are forgotten). @default 300000 */
  sessionTtlMs?: number;
  /** Watch/MVCC history kept, in events; older history is compacted automatically (0: only explicit `compact`). @default 10000 */
  maxHistoryEvents?: number;
  /** Longest lease TTL accepted, ms. @default 86400000 */
  maxLeaseTtlMs?: number;
  /** Extensions that own a reserved key space (the membership table is one). @default [] */
  extensions?: readonly KvExtension[];
  /**
   * Keys a snapshot encodes (or a restore decodes) before it lets the event
   * loop run: a large state then never blocks the node past an election
   * timeout. Does not change what `apply` does, so replicas may differ.
   * @default 1000
   */
  snapshotKeysPerTurn?: number;
  /** The clock whose timers those yields wait on (the simulator passes its virtual clock). @default realClock() */
  clock?: Clock;
}

/** Defaults of {@link KvStateMachineOptions}. */
export const KV_STATE_MACHINE_DEFAULTS: Readonly<Required<Pick<KvStateMachineOptions, 'sessionTtlMs' | 'maxHistoryEvents' | 'maxLeaseTtlMs' | 'snapshotKeysPerTurn'>>> = Object.freeze({
  sessionTtlMs: 300_000,
  maxHistoryEvents: 10_000,
  maxLeaseTtlMs: 86_400_000,
  snapshotKeysPerTurn: 1000,
});

/** Resolved state machine options. */
export interface ResolvedKvStateMachineOptions {
  readonly sessionTtlMs: number;
  readonly maxHistoryEvents: number;
  readonly maxLeaseTtlMs: number;
  readonly extensions: ReadonlyMap<string, KvExtension>;
  readonly snapshotKeysPerTurn: number;
  readonly clock: Clock;
}

function positiveInt(name: string, v: unknown, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (allowZero ? 0 : 1)) {
    throw expectedGot(name, allowZero ? 'a non-negative integer' : 'a positive integer', v);
  }
  return v;
}

/** Fill defaults and validate. */
export function resolveKvStateMachineOptions(o: KvStateMachineOptions = {}): ResolvedKvStateMachineOptions {
  const d = KV_STATE_MACHINE_DEFAULTS;
  const extensions = new Map<string, KvExtension>();
  for (const e of o.extensions ?? []) {
    if (typeof e?.name !== 'string' || typeof e.apply !== 'function') throw expectedGot('extensions', 'objects with a name and an apply function', e);
    if (extensions.has(e.name)) throw expectedGot('extensions', 'distinct names', e.name);
    extensions.set(e.name, e);
  }
  return {
    sessionTtlMs: positiveInt('sessionTtlMs', o.sessionTtlMs ?? d.sessionTtlMs),
    maxHistoryEvents: positiveInt('maxHistoryEvents', o.maxHistoryEvents ?? d.maxHistoryEvents, true),
    maxLeaseTtlMs: positiveInt('maxLeaseTtlMs', o.maxLeaseTtlMs ?? d.maxLeaseTtlMs),
    extensions,
    snapshotKeysPerTurn: positiveInt('snapshotKeysPerTurn', o.snapshotKeysPerTurn ?? d.snapshotKeysPerTurn),
    clock: o.clock ?? realClock(),
  };
}

/** Options of a {@link KvClient}. */
export interface KvClientOptions {
  /** Source of the timestamps carried in commands (replicated time). @default realClock() */
  clock?: Clock;
  /** How long a write may take in all, retries included, ms. @default 5000 */
  requestTimeoutMs?: number;
  /**
   * With no leader known, how long to wait for one before failing with
   * `NoQuorumError`, ms. About two election timeouts: long enough to ride
   * out an election, short enough to fail fast without a majority.
   * @default 400
   */
  leaderWaitMs?: number;
  /** Longest key accepted, UTF-16 units. @default 1024 */
  maxKeyLength?: number;
  /** Largest value accepted, bytes. @default 1048576 */
  maxValueBytes?: number;
  /** Use a session, so a retried write applies exactly once. @default true */
  sessions?: boolean;
}

/** Defaults of {@link KvClientOptions}. */
export const KV_CLIENT_DEFAULTS: Readonly<Required<Pick<KvClientOptions, 'requestTimeoutMs' | 'leaderWaitMs' | 'maxKeyLength' | 'maxValueBytes' | 'sessions'>>> = Object.freeze({
  requestTimeoutMs: 5000,
  leaderWaitMs: 400,
  maxKeyLength: 1024,
  maxValueBytes: 1024 * 1024,
  sessions: true,
});

/** Resolved client options. */
export interface ResolvedKvClientOptions {
  readonly clock: Clock;
  readonly requestTimeoutMs: number;
  readonly leaderWaitMs: number;
  readonly maxKeyLength: number;
  readonly maxValueBytes: number;
  readonly sessions: boolean;
}

/** Fill defaults and validate. */
export function resolveKvClientOptions(o: KvClientOptions = {}): ResolvedKvClientOptions {
  const d = KV_CLIENT_DEFAULTS;
  const r = {
    clock: o.clock ?? realClock(),
    requestTimeoutMs: positiveInt('requestTimeoutMs', o.requestTimeoutMs ?? d.requestTimeoutMs),
    leaderWaitMs: positiveInt('leaderWaitMs', o.leaderWaitMs ?? d.leaderWaitMs),
    maxKeyLength: positiveInt('maxKeyLength', o.maxKeyLength ?? d.maxKeyLength),
    maxValueBytes: positiveInt('maxValueBytes', o.maxValueBytes ?? d.maxValueBytes),
    sessions: o.sessions ?? d.sessions,
  };
  if (r.maxKeyLength > MAX_KEY_CHARS) throw expectedGot('maxKeyLength', `at most ${MAX_KEY_CHARS}`, r.maxKeyLength);
  if (r.maxValueBytes > MAX_VALUE_BYTES) throw expectedGot('maxValueBytes', `at most ${MAX_VALUE_BYTES}`, r.maxValueBytes);
  if (r.leaderWaitMs > r.requestTimeoutMs) throw expectedGot('leaderWaitMs', `at most requestTimeoutMs (${r.requestTimeoutMs})`, r.leaderWaitMs);
  if (typeof r.sessions !== 'boolean') throw expectedGot('sessions', 'a boolean', r.sessions);
  return r;
}
