/**
 * Turning error results of the state machine into typed errors, and
 * client-side validation of requests before anything is proposed.
 * @module
 */
import { MAX_TXN_OPS } from '../codec/kv.js';
import { CompactedError, InvalidInputError, PreconditionFailedError, QuorumkitError, TimeoutError } from '../errors.js';
import type { ResolvedKvClientOptions } from './options.js';
import { isReserved, txnProblem } from './txn.js';
import type { Compare, ErrorResult, KeySelector, TxnOp, TxnRequest } from './types.js';

/** The typed error for an error result (every one is definite: nothing of the command was applied). */
export function errorFromResult(r: ErrorResult): QuorumkitError {
  switch (r.code) {
    case 'INVALID_INPUT': return new InvalidInputError(r.message);
    case 'PRECONDITION_FAILED':
    case 'NOT_FOUND': return new PreconditionFailedError(r.message);
    case 'COMPACTED': return new CompactedError(r.compacted?.requested ?? 0, r.compacted?.at ?? 0);
    case 'SESSION_EXPIRED': return new TimeoutError(`The client session expired; the command may have been applied (${r.message})`, { definite: false });
    case 'INTERNAL': return new QuorumkitError('INVALID_INPUT', `The state machine failed on this command: ${r.message}`, { definite: false });
  }
}

/** Checks requests against the client's limits; throws `InvalidInputError`. */
export class RequestValidator {
  constructor(private readonly o: ResolvedKvClientOptions) {}

  key(k: unknown, what = 'key', allowReserved = false): string {
    if (typeof k !== 'string') throw new InvalidInputError(`${what}: expected a string, got ${typeof k}`);
    if (k.length > this.o.maxKeyLength) throw new InvalidInputError(`${what}: ${k.length} chars exceeds maxKeyLength (${this.o.maxKeyLength})`);
    if (!allowReserved && isReserved(k)) throw new InvalidInputError(`${what}: keys starting with "\\u0000" are reserved`);
    return k;
  }

  value(v: unknown): Uint8Array {
    const bytes = typeof v === 'string' ? new TextEncoder().encode(v) : v;
    if (!(bytes instanceof Uint8Array)) throw new InvalidInputError(`value: expected a Uint8Array or string, got ${typeof v}`);
    if (bytes.byteLength > this.o.maxValueBytes) throw new InvalidInputError(`value: ${bytes.byteLength} bytes exceeds maxValueBytes (${this.o.maxValueBytes})`);
    return bytes;
  }

  uint(v: unknown, what: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidInputError(`${what}: expected a non-negative integer, got ${String(v)}`);
    return v;
  }

  selector(sel: KeySelector, write: boolean): KeySelector {
    if (typeof sel !== 'object' || sel === null) throw new InvalidInputError('selector: expected an object');
    const key = this.key(sel.key, 'key', !write);
    if (sel.end !== undefined && sel.prefix === true) throw new InvalidInputError('selector: give either prefix or end, not both');
    if (sel.end !== undefined) return { key, end: this.key(sel.end, 'end', !write) };
    return sel.prefix === true ? { key, prefix: true } : { key };
  }

  op(op: TxnOp): TxnOp {
    switch (op?.type) {
      case 'put': return { type: 'put', key: this.key(op.key), value: this.value(op.value), lease: this.uint(op.lease ?? 0, 'lease') };
      case 'delete': return { type: 'delete', ...this.selector(op, true) };
      case 'range': return { type: 'range', ...this.selector(op, false), limit: this.uint(op.limit ?? 0, 'limit') };
      default: throw new InvalidInputError(`txn: unknown operation type ${JSON.stringify((op as { type?: unknown })?.type)}`);
    }
  }

  compare(c: Compare): Compare {
    const targets = ['value', 'version', 'createRevision', 'modRevision', 'lease'];
    if (!targets.includes(c?.target)) throw new InvalidInputError(`compare: unknown target ${JSON.stringify(c?.target)}`);
    if (!['=', '!=', '<', '>'].includes(c.op)) throw new InvalidInputError(`compare: unknown operator ${JSON.stringify(c.op)}`);
    const value = c.target === 'value' ? this.value(c.value) : c.value;
    if (typeof value === 'number' ? !Number.isFinite(value) : c.target !== 'value') throw new InvalidInputError(`compare: expected a number for ${c.target}`);
    return { key: this.key(c.key, 'compare key', true), target: c.target, op: c.op, value };
  }

  txn(t: TxnRequest): TxnRequest {
    for (const list of [t?.compare, t?.success, t?.failure]) {
      if (!Array.isArray(list)) throw new InvalidInputError('txn: compare, success and failure must be arrays');
      if (list.length > MAX_TXN_OPS) throw new InvalidInputError(`txn: at most ${MAX_TXN_OPS} items per list`);
    }
    const out = { compare: t.compare.map((c) => this.compare(c)), success: t.success.map((o) => this.op(o)), failure: t.failure.map((o) => this.op(o)) };
    const problem = txnProblem(out, () => true);
    if (problem !== null) throw new InvalidInputError(`txn: ${problem}`);
    return out;
  }
}
