/**
 * The linearizability checker's entry point: validates and prepares a history,
 * splits it per key (P-compositionality: a history is linearizable iff each
 * key's sub-history is, for independent keys) and searches each part.
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import { searchPartition } from './search.js';
import type { CheckOptions, CheckResult, HistoryOp, KeyResult, Model } from './types.js';

const DEFAULT_MAX_STEPS = 5_000_000;

/**
 * Check that a concurrent history is linearizable with respect to a sequential model.
 *
 * `fail` operations are dropped (they had no effect); `info` operations may
 * take effect at any point after their call, or never. The search stops at
 * the first illegal key. The budget is counted in search steps per key, so
 * the verdict is the same on every machine.
 *
 * @throws InvalidInputError if an `ok` operation lacks a return time or returns before its call.
 *
 * @example
 * ```ts
 * const r = checkLinearizability(history, kvModel);
 * if (r.result !== 'ok') throw new Error(formatCheckResult(r));
 * ```
 */
export function checkLinearizability<S, Op extends HistoryOp>(
  history: readonly Op[],
  model: Model<S, Op>,
  options: CheckOptions = {},
): CheckResult<Op> {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const parts = partition(prepare(history, model), options.partitionByKey ?? true);
  const keys: KeyResult<Op>[] = [];
  let steps = 0;
  let unknown = false;
  for (const [key, all] of parts) {
    const ops = model.simplify?.(all) ?? all;
    const found = searchPartition(ops, model, maxSteps);
    steps += found.steps;
    const kr: KeyResult<Op> = { key, result: found.result, steps: found.steps, ops: ops.length };
    keys.push(kr);
    if (found.result === 'illegal') {
      const inPrefix = new Set(found.longestPrefix);
      kr.longestPrefix = found.longestPrefix.map((i) => ops[i]!);
      kr.stuck = ops.filter((op, i) => op.outcome === 'ok' && !inPrefix.has(i));
      return { result: 'illegal', steps, keys, illegal: kr };
    }
    // An unknown key does not stop the check: a later key may still prove the history illegal.
    if (found.result === 'unknown') unknown = true;
  }
  return { result: unknown ? 'unknown' : 'ok', steps, keys };
}

/** Drop `fail` and read-only `info` ops, give every op an id, and validate times. */
function prepare<S, Op extends HistoryOp>(history: readonly Op[], model: Model<S, Op>): Op[] {
  const out: Op[] = [];
  history.forEach((op, index) => {
    if (op.outcome === 'fail') return;
    if (op.outcome === 'info' && model.isReadOnly?.(op) === true) return;
    if (op.outcome === 'ok') {
      const r = op.return;
      if (typeof r !== 'number' || Number.isNaN(r) || r < op.call) {
        throw new InvalidInputError(`history[${index}]: expected an ok operation with return >= call (${op.call}), got return ${String(r)}`);
      }
    } else if (op.outcome !== 'info') {
      throw new InvalidInputError(`history[${index}]: expected outcome ok, fail or info, got ${String(op.outcome)}`);
    }
    out.push(op.id === undefined ? { ...op, id: index } : op);
  });
  return out;
}

function partition<Op extends HistoryOp>(ops: readonly Op[], byKey: boolean): [string, Op[]][] {
  if (!byKey) return [['*', [...ops]]];
  const m = new Map<string, Op[]>();
  for (const op of ops) {
    let list = m.get(op.key);
    if (list === undefined) m.set(op.key, (list = []));
    list.push(op);
  }
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * A human-readable summary of a check result: the verdict, and for an
 * illegal key the longest linearizable prefix and the operations left over.
 */
export function formatCheckResult<Op extends HistoryOp>(r: CheckResult<Op>, describe: (op: Op) => string = defaultDescribe): string {
  const lines = [`linearizability: ${r.result} (${r.keys.length} keys, ${r.steps} steps)`];
  const bad = r.illegal;
  if (bad !== undefined) {
    lines.push(`key ${JSON.stringify(bad.key)}: no linearization; longest prefix:`);
    for (const op of bad.longestPrefix ?? []) lines.push(`  ${describe(op)}`);
    lines.push('then none of these could go next:');
    for (const op of bad.stuck ?? []) lines.push(`  ${describe(op)}`);
  }
  for (const k of r.keys) if (k.result === 'unknown') lines.push(`key ${JSON.stringify(k.key)}: unknown after ${k.steps} steps (${k.ops} ops)`);
  return lines.join('\n');
}

/** `#id client kind(input) -> output [call, return]`. */
export function defaultDescribe(op: HistoryOp): string {
  const ret = op.outcome === 'info' ? 'info' : String(op.return);
  const out = op.outcome === 'ok' ? ` -> ${JSON.stringify(op.output) ?? 'void'}` : '';
  return `#${op.id ?? '?'} c${op.client} ${op.kind}(${JSON.stringify(op.input) ?? ''})${out} [${op.call}, ${ret}]`;
}
