/**
 * A deliberately naive reference checker: tries every order of the whole
 * history (all keys at once, no memoization, no partitioning) that respects
 * real time. Exponential; only for tiny histories, to test the real checker.
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import type { HistoryOp, Model } from './types.js';

/**
 * Whether some ordering of `history` is legal for `model`: every `ok`
 * operation placed, any subset of `info` ones, none placed before an
 * operation that returned before its call, each key's ops applied to that
 * key's state. `fail` operations are ignored.
 *
 * @throws InvalidInputError above `maxOps` operations (the cost is factorial).
 */
export function bruteForceCheck<S, Op extends HistoryOp>(history: readonly Op[], model: Model<S, Op>, maxOps = 9): 'ok' | 'illegal' {
  const ops = history.filter((op) => op.outcome !== 'fail');
  if (ops.length > maxOps) throw new InvalidInputError(`bruteForceCheck: expected at most ${maxOps} operations, got ${ops.length}`);
  const end = (op: Op): number => (op.outcome === 'info' ? Number.POSITIVE_INFINITY : op.return!);
  // before[j]: indices of ops that must precede op j in any linearization.
  const before = ops.map((b) => ops.flatMap((a, i) => (end(a) < b.call ? [i] : [])));
  const okCount = ops.filter((op) => op.outcome === 'ok').length;
  const placed = new Array<boolean>(ops.length).fill(false);

  const search = (states: ReadonlyMap<string, S>, okPlaced: number): boolean => {
    if (okPlaced === okCount) return true;
    for (let j = 0; j < ops.length; j++) {
      if (placed[j] || !before[j]!.every((i) => placed[i])) continue;
      const op = ops[j]!;
      const r = model.step(states.get(op.key) ?? model.init(), op);
      if (!r.legal) continue;
      placed[j] = true;
      const nextStates = new Map(states).set(op.key, r.nextState);
      const found = search(nextStates, okPlaced + (op.outcome === 'ok' ? 1 : 0));
      placed[j] = false;
      if (found) return true;
    }
    return false;
  };
  return search(new Map(), 0) ? 'ok' : 'illegal';
}
