/**
 * The shipped sequential model: one register per key of a key-value map, with
 * read, write, compare-and-set and delete.
 * @module
 */
import type { HistoryOp, Model, StepResult } from './types.js';

/** A register's value; `null` means the key is absent. */
export type KvValue = string | number | null;

/** Fields every KV operation shares. */
export type KvBase = Omit<HistoryOp, 'kind' | 'input' | 'output'>;

/** Read the key; `output` is the value seen (`null`: absent). */
export type KvRead = KvBase & {
  /** Discriminant. */
  kind: 'read';
  /** None. */
  input?: undefined;
  /** The value read (`null` or absent: the key was absent). */
  output?: KvValue;
};
/** Write `input` to the key. */
export type KvWrite = KvBase & {
  /** Discriminant. */
  kind: 'write';
  /** The value written (`null`: same as a delete). */
  input: KvValue;
  /** None. */
  output?: undefined;
};
/** If the key holds `input.expected`, set it to `input.value`; `output` says whether it did. */
export type KvCas = KvBase & {
  /** Discriminant. */
  kind: 'cas';
  /** The expectation and the new value. */
  input: {
    /** The value the key must hold (`null`: absent). */
    expected: KvValue;
    /** The value set if it does (`null`: delete). */
    value: KvValue;
  };
  /** Whether it set the value. */
  output?: boolean;
};
/** Delete the key. */
export type KvDelete = KvBase & {
  /** Discriminant. */
  kind: 'delete';
  /** None. */
  input?: undefined;
  /** None. */
  output?: undefined;
};

/** One operation of a KV history. */
export type KvOp = KvRead | KvWrite | KvCas | KvDelete;

function next(state: KvValue): StepResult<KvValue> {
  return { legal: true, nextState: state };
}

const ILLEGAL: StepResult<KvValue> = { legal: false };

/**
 * A register per key: the state is the key's value (`null` when absent).
 * `info` reads are dropped by the checker (they change nothing); an `info`
 * CAS takes effect exactly when its expectation holds at its linearization point.
 *
 * @example
 * ```ts
 * checkLinearizability<KvValue, KvOp>(history, kvModel);
 * ```
 */
export const kvModel: Model<KvValue, KvOp> = Object.freeze({
  init: (): KvValue => null,
  step(state: KvValue, op: KvOp): StepResult<KvValue> {
    const known = op.outcome === 'ok';
    switch (op.kind) {
      case 'read':
        return !known || (op.output ?? null) === state ? next(state) : ILLEGAL;
      case 'write':
        return next(op.input);
      case 'delete':
        return next(null);
      case 'cas': {
        const swapped = state === op.input.expected;
        if (known && op.output !== swapped) return ILLEGAL;
        return next(swapped ? op.input.value : state);
      }
      default:
        return ILLEGAL;
    }
  },
  equal: (a: KvValue, b: KvValue): boolean => a === b,
  // Type-tagged so the string '1' and the number 1 never share a hash by accident (harmless, but slower).
  hash: (s: KvValue): string => (s === null ? 'n' : typeof s === 'number' ? `#${s}` : `s${s}`),
  isReadOnly: (op: KvOp): boolean => op.kind === 'read',
  simplify: dropUnobservedInfo,
  describe: describeKvOp,
});

function observes(op: KvOp): KvValue | undefined {
  if (op.kind === 'read' && op.outcome === 'ok') return op.output ?? null;
  if (op.kind === 'cas' && op.outcome !== 'fail') return op.input.expected;
  return undefined;
}

/**
 * Drop `info` writes, deletes and CASes whose written value no read returned
 * and no CAS expected. Sound for a register: such an op, if it took effect,
 * was only ever overwritten, so removing it (and any `info` CAS it disabled)
 * leaves a legal order legal, unless an `ok` CAS that returned false ran
 * after the op's call: that CAS may have needed the state to differ from its
 * expectation, so such an op is kept.
 */
/** The value an op leaves in the key (`null` for a delete), or undefined for a read. */
function written(op: KvOp): KvValue | undefined {
  return op.kind === 'write' ? op.input : op.kind === 'delete' ? null : op.kind === 'cas' ? op.input.value : undefined;
}

function dropUnobservedInfo(ops: readonly KvOp[]): KvOp[] {
  const observed = new Set<string>();
  let lastFailedCas = Number.NEGATIVE_INFINITY;
  for (const op of ops) {
    const v = observes(op);
    if (v !== undefined) observed.add(kvModel.hash(v) as string);
    if (op.kind === 'cas' && op.outcome === 'ok' && op.output === false) lastFailedCas = Math.max(lastFailedCas, op.return!);
  }
  const kept = ops.filter((op) => {
    if (op.outcome !== 'info' || op.call <= lastFailedCas) return true;
    const v = written(op);
    return v === undefined || observed.has(kvModel.hash(v) as string);
  });
  return mergeUnobservedValues(kept, observed);
}

/** A value no history writes (checked before use). */
const UNSEEN = '\u0000unobserved';

/**
 * Every value written and never observed becomes one value. An op's
 * legality depends on the state only through equality with an observed
 * value (a read's output, a compare-and-set's expectation), and none equals
 * an unobserved one, so the history is linearizable exactly when the merged
 * one is; but orders of such writes now reach one state, which the search
 * memoizes once. Writes kept only because a failed compare-and-set may
 * have seen them made long histories take tens of millions of steps.
 */
function mergeUnobservedValues(ops: KvOp[], observed: ReadonlySet<string>): KvOp[] {
  if (observed.has(kvModel.hash(UNSEEN) as string) || ops.some((op) => written(op) === UNSEEN)) return ops;
  const unseen = (v: KvValue | undefined): boolean => v !== undefined && v !== null && !observed.has(kvModel.hash(v) as string);
  return ops.map((op) => {
    if (op.kind === 'write' && unseen(op.input)) return { ...op, input: UNSEEN };
    if (op.kind === 'cas' && unseen(op.input.value)) return { ...op, input: { ...op.input, value: UNSEEN } };
    return op;
  });
}

/** A one-line description of a KV operation, e.g. `#3 c1 cas(k, 1→2) = true [10, 14]`. */
export function describeKvOp(op: KvOp): string {
  let what: string;
  switch (op.kind) {
    case 'read': what = `read(${op.key})`; break;
    case 'write': what = `write(${op.key}, ${JSON.stringify(op.input)})`; break;
    case 'delete': what = `delete(${op.key})`; break;
    case 'cas': what = `cas(${op.key}, ${JSON.stringify(op.input.expected)}→${JSON.stringify(op.input.value)})`; break;
  }
  const result = op.outcome !== 'ok' ? ` ${op.outcome}` : op.kind === 'read' || op.kind === 'cas' ? ` = ${JSON.stringify(op.output)}` : '';
  const end = op.outcome === 'ok' ? String(op.return) : '∞';
  return `#${op.id ?? '?'} c${op.client} ${what}${result} [${op.call}, ${end}]`;
}
