/** History builders shared by the checker tests. */
import { type KvOp, type KvValue } from '../../../src/testing/linearizability/index.js';
import type { Prng } from '../../../src/util/prng.js';

/** Shorthand builders: w(key, value, call, ret), r(key, out, call, ret), … (client 0 unless given). */
export const w = (key: string, value: KvValue, call: number, ret: number, client = 0): KvOp => ({ client, key, kind: 'write', input: value, call, return: ret, outcome: 'ok' });
export const r = (key: string, output: KvValue, call: number, ret: number, client = 0): KvOp => ({ client, key, kind: 'read', output, call, return: ret, outcome: 'ok' });
export const cas = (key: string, expected: KvValue, value: KvValue, output: boolean, call: number, ret: number, client = 0): KvOp => ({ client, key, kind: 'cas', input: { expected, value }, output, call, return: ret, outcome: 'ok' });
export const del = (key: string, call: number, ret: number, client = 0): KvOp => ({ client, key, kind: 'delete', call, return: ret, outcome: 'ok' });
export const info = (op: KvOp): KvOp => {
  const { return: _ret, output: _out, ...rest } = op;
  return { ...rest, outcome: 'info' } as KvOp;
};
export const fail = (op: KvOp): KvOp => ({ ...op, outcome: 'fail' }) as KvOp;

/** Options of {@link linearizableHistory}. */
export interface GenOptions {
  ops: number;
  clients: number;
  keys: number;
  /** Largest value written (values are 1..maxValue); unique values when omitted. */
  maxValue?: number | undefined;
  /** Probability an op ends `info` / `fail`. */
  infoRate?: number;
  failRate?: number;
}

interface Planned {
  op: KvOp;
  lp: number;
  applied: boolean;
}

/**
 * A history that is linearizable by construction: each op gets a
 * linearization point inside [call, return], ops are applied to the model in
 * that order, and outputs are what the model says. Each client issues its
 * ops one after another; clients overlap.
 */
export function linearizableHistory(rng: Prng, o: GenOptions): KvOp[] {
  const clientFree = new Array<number>(o.clients).fill(0);
  const planned: Planned[] = [];
  let unique = 0;
  const value = (): KvValue => (o.maxValue === undefined ? ++unique : 1 + rng.int(o.maxValue));
  for (let i = 0; i < o.ops; i++) {
    const client = i % o.clients;
    const call = clientFree[client]! + rng.int(5);
    const lp = call + rng.int(10);
    const ret = lp + rng.int(10);
    clientFree[client] = ret + 1;
    const key = `k${rng.int(o.keys)}`;
    const u = rng.next();
    const outcome = u < (o.failRate ?? 0) ? 'fail' : u < (o.failRate ?? 0) + (o.infoRate ?? 0) ? 'info' : 'ok';
    const kind = (['read', 'read', 'write', 'write', 'cas', 'delete'] as const)[rng.int(6)]!;
    let op: KvOp;
    if (kind === 'read') op = { client, key, kind, call, return: ret, outcome };
    else if (kind === 'write') op = { client, key, kind, input: value(), call, return: ret, outcome };
    else if (kind === 'delete') op = { client, key, kind, call, return: ret, outcome };
    else op = { client, key, kind, input: { expected: rng.int(2) === 0 ? null : 1 + rng.int(Math.max(1, o.maxValue ?? unique)), value: value() }, call, return: ret, outcome };
    // An info op may or may not take effect; a failed one never does.
    planned.push({ op, lp, applied: outcome === 'ok' || (outcome === 'info' && rng.int(2) === 0) });
  }
  applyInOrder(planned);
  return planned.map((p) => finish(p.op));
}

function applyInOrder(planned: Planned[]): void {
  // Computed directly rather than through kvModel, so the generator does not share the model's bugs.
  const state = new Map<string, KvValue>();
  for (const p of [...planned].sort((a, b) => a.lp - b.lp)) {
    if (!p.applied) continue;
    const op = p.op;
    const before = state.get(op.key) ?? null;
    if (op.kind === 'read') op.output = before;
    else if (op.kind === 'write') state.set(op.key, op.input);
    else if (op.kind === 'delete') state.set(op.key, null);
    else {
      op.output = before === op.input.expected;
      if (op.output) state.set(op.key, op.input.value);
    }
  }
}

function finish(op: KvOp): KvOp {
  if (op.outcome === 'ok') return op;
  return op.outcome === 'info' ? info(op) : op;
}
