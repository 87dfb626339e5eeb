/**
 * A sequential model of one node-table record, as the simulator's clients
 * use it: register (join; a known node keeps its availability), set the
 * availability (refused for a node never registered), and read it.
 * @module
 */
import type { HistoryOp, Model, StepResult } from './types.js';

/** A record's availability, or `null` while the node is not registered. */
export type MemberState = 'active' | 'pause' | 'drain' | null;

/** Fields every node-table operation shares. */
export type MemberBase = Omit<HistoryOp, 'kind' | 'input' | 'output'>;

/** A node-table operation: kind `K`, argument `I` (none when `undefined`), result `O`. */
export type MemberOpOf<K extends string, I, O> = MemberBase & {
  /** Discriminant. */
  kind: K;
  /** The result; meaningful only when `outcome` is `ok`. */
  output?: O;
} & ([I] extends [undefined] ? NoInput : WithInput<I>);

/** An operation that takes an argument. */
export interface WithInput<I> {
  /** The argument. */
  input: I;
}

/** An operation that takes no argument (the node id is the key). */
export interface NoInput {
  /** None. */
  input?: undefined;
}

/** Register the node; `output` is the availability the returned record holds. */
export type MemberRegister = MemberOpOf<'register', undefined, MemberState>;
/** Set the availability (a drain sets `drain`); `output`: whether the node existed (false: refused). */
export type MemberSetAvailability = MemberOpOf<'setAvailability', Exclude<MemberState, null>, boolean>;
/** Linearizable read of the record; `output` is its availability (`null`: absent). */
export type MemberRead = MemberOpOf<'readNode', undefined, MemberState>;

/** One operation on the node table, keyed by node id. */
export type MemberOp = MemberRegister | MemberSetAvailability | MemberRead;

const ILLEGAL: StepResult<MemberState> = { legal: false };
const to = (s: MemberState): StepResult<MemberState> => ({ legal: true, nextState: s });

/**
 * One record per key. `info` operations may take effect or not; a refused
 * `setAvailability` (output false) is legal only while the node is absent.
 *
 * @example
 * ```ts
 * checkLinearizability<MemberState, MemberOp>(history, membershipModel);
 * ```
 */
export const membershipModel: Model<MemberState, MemberOp> = Object.freeze({
  init: (): MemberState => null,
  step(state: MemberState, op: MemberOp): StepResult<MemberState> {
    const known = op.outcome === 'ok';
    switch (op.kind) {
      case 'register': {
        const next = state ?? 'active';
        return known && op.output !== next ? ILLEGAL : to(next);
      }
      case 'setAvailability': {
        const exists = state !== null;
        if (known && op.output !== exists) return ILLEGAL;
        return to(exists ? op.input : null);
      }
      case 'readNode':
        return known && (op.output ?? null) !== state ? ILLEGAL : to(state);
      default:
        return ILLEGAL;
    }
  },
  equal: (a: MemberState, b: MemberState): boolean => a === b,
  hash: (s: MemberState): string => s ?? '-',
  isReadOnly: (op: MemberOp): boolean => op.kind === 'readNode',
  describe: (op: MemberOp): string => `#${op.id ?? '?'} c${op.client} ${op.kind}(${op.key}${op.input !== undefined ? `, ${op.input}` : ''}) ${op.outcome === 'ok' ? `= ${JSON.stringify(op.output)}` : op.outcome} [${op.call}, ${op.outcome === 'ok' ? String(op.return) : '∞'}]`,
});
