/**
 * Shared types of the linearizability checker: the history format, the
 * pluggable sequential model, and the check result.
 * @module
 */

/**
 * How a client operation ended.
 * - `ok`: it returned; its output is known.
 * - `fail`: it definitely had no effect; the checker drops it.
 * - `info`: unknown (a timeout, a crash); it may or may not have taken effect,
 *   at any time after its call, so its return time is treated as +infinity.
 */
export type Outcome = 'ok' | 'fail' | 'info';

/**
 * One client operation of a history, with call and return in virtual time.
 *
 * Two operations are ordered in real time only when one returned strictly
 * before the other was called (`a.return < b.call`); equal times count as
 * concurrent, so a coarse clock never produces a false `illegal`.
 */
export interface HistoryOp<I = unknown, O = unknown> {
  /** An id used in reports; defaults to the operation's index in the history. */
  id?: number;
  /** The client (process) that issued the operation. */
  client: string | number;
  /** The key the operation touches; the checker checks each key on its own. */
  key: string;
  /** The operation's kind, interpreted by the model (e.g. `read`, `write`, `cas`, `delete`). */
  kind: string;
  /** The operation's argument (absent for operations that take none, such as a read). */
  input?: I;
  /** The observed result; meaningful only when `outcome` is `ok`. */
  output?: O;
  /** Virtual time of the invocation. */
  call: number;
  /** Virtual time of the response; required for `ok`, ignored for `info` and `fail`. */
  return?: number;
  /** How the operation ended. */
  outcome: Outcome;
}

/** The result of applying one operation to a model state. */
export type StepResult<S> =
  | {
      /** The operation's output is possible in this state. */
      legal: true;
      /** The state after the operation. */
      nextState: S;
    }
  | {
      /** The operation's output is impossible in this state. */
      legal: false;
    };

/**
 * A sequential specification of one key's object (a register, a queue, …).
 *
 * Requirements:
 * - `step` is pure and deterministic: it never mutates `state` and returns the
 *   same result for the same arguments.
 * - For an `info` operation (`op.outcome === 'info'`) the output is unknown:
 *   `step` must accept any output and return the state the operation would leave.
 * - `equal(a, b)` implies `hash(a) === hash(b)`.
 */
export interface Model<S, Op extends HistoryOp = HistoryOp> {
  /** The state before any operation. */
  init(): S;
  /** Apply `op` to `state`: whether its output is possible, and the state after it. */
  step(state: S, op: Op): StepResult<S>;
  /** State equality, for memoization. */
  equal(a: S, b: S): boolean;
  /** A hash of a state consistent with `equal`. */
  hash(state: S): string | number;
  /**
   * Optional: true if `op` never changes the state. An `info` operation for which
   * this is true constrains nothing and is dropped before the search.
   */
  isReadOnly?(op: Op): boolean;
  /**
   * Optional: drop `info` operations of one key's sub-history that cannot
   * change the verdict (e.g. a write whose value nobody observed). Each
   * `info` op still in the search multiplies the work of proving a history
   * illegal, so this matters. Must return a subset of `ops`, in order, and
   * drop only `info` operations.
   */
  simplify?(ops: readonly Op[]): Op[];
  /** Optional: a short description of an operation for reports. */
  describe?(op: Op): string;
}

/** Options of {@link checkLinearizability}. */
export interface CheckOptions {
  /**
   * Search steps allowed per key before that key's verdict is `unknown`. A
   * step count, not wall time, so a result never depends on machine speed.
   * Per key, so one hard key cannot starve the others of a verdict.
   * @default 5_000_000
   */
  maxSteps?: number;
  /**
   * Check each key on its own (sound when operations on different keys are
   * independent, as for a key-value map). Set `false` to check the whole history
   * as one object.
   * @default true
   */
  partitionByKey?: boolean;
}

/** Result of checking one key. */
export interface KeyResult<Op extends HistoryOp = HistoryOp> {
  /** The key (or `'*'` when the history was not partitioned). */
  key: string;
  /** This key's verdict. */
  result: 'ok' | 'illegal' | 'unknown';
  /** Search steps spent on this key. */
  steps: number;
  /** Operations of this key after dropping `fail` ones and read-only `info` ones. */
  ops: number;
  /**
   * For `illegal`: the longest sequence of operations the search could
   * linearize, in order; the problem lies just after it.
   */
  longestPrefix?: readonly Op[];
  /** For `illegal`: the `ok` operations never linearized in that longest attempt. */
  stuck?: readonly Op[];
}

/** The verdict of {@link checkLinearizability}. */
export interface CheckResult<Op extends HistoryOp = HistoryOp> {
  /**
   * `ok`: a linearization exists for every key. `illegal`: some key has none.
   * `unknown`: the step budget ran out before a verdict (distinct from both).
   */
  result: 'ok' | 'illegal' | 'unknown';
  /** Total search steps. */
  steps: number;
  /** Per-key results, in key order; keys not searched after an `illegal` are absent. */
  keys: KeyResult<Op>[];
  /** The first illegal key's result, if any. */
  illegal?: KeyResult<Op>;
}
