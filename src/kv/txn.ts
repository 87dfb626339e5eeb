/**
 * Transactions: validation of both branches before anything is written,
 * evaluation of compares, and the reserved key space of extensions.
 * @module
 */
import type { KeySpace } from './store.js';
import { selects } from './store.js';
import type { Compare, KeySelector, KeyValue, TxnOp, TxnRequest } from './types.js';

/** Keys starting with this are reserved for extensions (the membership table); user writes never touch them. */
export const RESERVED_PREFIX = '\u0000';

/** Whether a key belongs to the reserved key space. */
export function isReserved(key: string): boolean {
  return key.startsWith(RESERVED_PREFIX);
}

/** Whether user operations on `sel` may see key `k` (reserved keys only when asked for explicitly). */
export function visibleTo(sel: KeySelector, k: string): boolean {
  return !isReserved(k) || isReserved(sel.key);
}

function cmpNumbers(a: number, op: Compare['op'], b: number): boolean {
  switch (op) {
    case '=': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '>': return a > b;
  }
}

function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Whether one compare holds against the current value `kv` (null: missing key). */
export function compareHolds(c: Compare, kv: KeyValue | null): boolean {
  if (c.target === 'value') {
    if (!(c.value instanceof Uint8Array)) return false;
    return cmpNumbers(cmpBytes(kv?.value ?? new Uint8Array(0), c.value), c.op, 0);
  }
  if (typeof c.value !== 'number') return false;
  const field = kv === null ? 0 : c.target === 'version' ? kv.version : c.target === 'createRevision' ? kv.createRevision : c.target === 'modRevision' ? kv.modRevision : kv.lease;
  return cmpNumbers(field, c.op, c.value);
}

/** Whether every compare holds. */
export function comparesHold(keys: KeySpace, compare: readonly Compare[]): boolean {
  return compare.every((c) => compareHolds(c, keys.get(c.key)));
}

function writeSelector(op: TxnOp): KeySelector | null {
  if (op.type === 'put') return { key: op.key };
  if (op.type === 'delete') return op;
  return null;
}

function overlaps(a: KeySelector, b: KeySelector): boolean {
  if (a.prefix !== true && a.end === undefined) return selects(b, a.key);
  if (b.prefix !== true && b.end === undefined) return selects(a, b.key);
  // Two ranges or prefixes: conservatively, they overlap if either's start lies in the other.
  return selects(a, b.key) || selects(b, a.key);
}

function reservedProblem(key: string): string {
  return `key ${JSON.stringify(key)} is reserved`;
}

/** Why a put of `key` under `lease` (0: none) cannot run, or null: a reserved key, or a lease that does not exist. */
export function putProblem(key: string, lease: number, leaseExists: (id: number) => boolean): string | null {
  if (isReserved(key)) return reservedProblem(key);
  if (lease !== 0 && !leaseExists(lease)) return `lease ${lease} not found`;
  return null;
}

/**
 * Why a branch cannot run, or null if it can: a write to a reserved key, a
 * lease that does not exist, or two writes to overlapping keys (one
 * revision holds at most one change per key).
 */
export function branchProblem(ops: readonly TxnOp[], leaseExists: (id: number) => boolean): string | null {
  const writes: KeySelector[] = [];
  for (const op of ops) {
    const w = writeSelector(op);
    if (w === null) continue;
    const own = op.type === 'put' ? putProblem(op.key, op.lease ?? 0, leaseExists) : isReserved(w.key) ? reservedProblem(w.key) : null;
    if (own !== null) return own;
    if (writes.some((x) => overlaps(x, w))) return `two writes to overlapping keys at ${JSON.stringify(w.key)}`;
    writes.push(w);
  }
  return null;
}

/** Whether a request's branches can run; the first problem found, or null. */
export function txnProblem(t: TxnRequest, leaseExists: (id: number) => boolean): string | null {
  return branchProblem(t.success, leaseExists) ?? branchProblem(t.failure, leaseExists);
}
