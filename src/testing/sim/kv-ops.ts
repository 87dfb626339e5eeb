/**
 * The operations simulated clients run against the real `KvStateMachine`:
 * puts, compare-and-sets (a txn comparing the value or the mod revision),
 * deletes and linearizable gets on a hot key set, and node-table operations
 * (register, set availability, drain, read) through the membership
 * extension. Each is encoded with `encodeKvCommand` in the client's session,
 * and each result is mapped into the history formats of `kvModel` and
 * `membershipModel`.
 * @module
 */
import type { CommandBody } from '../../codec/kv.js';
import type { KvResult } from '../../kv/types.js';
import { decodeNode, MEMBERSHIP_EXT, NODE_PREFIX } from '../../membership/codec.js';
import type { StoredNode } from '../../membership/types.js';
import type { KvOp, KvValue } from '../linearizability/kv-model.js';
import type { MemberOp, MemberState } from '../linearizability/membership-model.js';
import type { Prng } from '../../util/prng.js';

/** An operation of a simulated client: on the KV or on the node table. */
export type SimOp = KvOp | MemberOp;

/** Prefix of the history keys of node-table operations. */
export const MEMBER_KEY = 'm:';

const enc = new TextEncoder();
const dec = new TextDecoder();
const AVAIL = ['active', 'pause', 'drain'] as const;

/** Whether an operation is a node-table one. */
export function isMemberOp(op: SimOp): op is MemberOp {
  return op.kind === 'register' || op.kind === 'setAvailability' || op.kind === 'readNode';
}

/** What a client knows of a key: the value it last saw and, when known, its mod revision. */
export interface Seen {
  readonly value: KvValue;
  readonly rev: number | null;
}

/** A new operation and, for a write, the command body to propose (reads have none). */
export interface NewOp {
  readonly op: SimOp;
  readonly body: CommandBody | null;
}

/**
 * Draw the next real-KV operation of a client. `value` is unique (the
 * client id and sequence number); `seen` is what the client knows of a key.
 */
export function drawRealOp(rng: Prng, keys: number, base: { id: number; client: string; call: number }, value: string, seen: (key: string) => Seen | undefined): NewOp {
  const r = rng.next();
  const info = { ...base, outcome: 'info' as const };
  if (r >= 0.85) return drawMemberOp(rng, info);
  const key = `k${rng.int(keys)}`;
  const op = { ...info, key };
  if (r < 0.4) return { op: { ...op, kind: 'read' }, body: null };
  if (r < 0.6) return { op: { ...op, kind: 'write', input: value }, body: { type: 'put', key, value: enc.encode(value), lease: 0 } };
  if (r < 0.72) return { op: { ...op, kind: 'delete' }, body: { type: 'delete', sel: { key } } };
  const s = seen(key);
  const expected = s?.value ?? null;
  // By mod revision when the client knows it (unique values make it the same test as the value's), else by value (absent: version 0).
  const compare = s !== undefined && s.rev !== null && rng.next() < 0.5
    ? { key, target: 'modRevision' as const, op: '=' as const, value: s.rev }
    : expected === null ? { key, target: 'version' as const, op: '=' as const, value: 0 } : { key, target: 'value' as const, op: '=' as const, value: enc.encode(String(expected)) };
  return { op: { ...op, kind: 'cas', input: { expected, value } }, body: { type: 'txn', compare: [compare], success: [{ type: 'put', key, value: enc.encode(value), lease: 0 }], failure: [] } };
}

function drawMemberOp(rng: Prng, info: { id: number; client: string; call: number; outcome: 'info' }): NewOp {
  const id = `w${rng.int(2) + 1}`;
  const op = { ...info, key: MEMBER_KEY + id };
  const r = rng.next();
  if (r < 0.25) return { op: { ...op, kind: 'readNode' }, body: null };
  if (r < 0.5) return { op: { ...op, kind: 'register' }, body: ext({ op: 'register', input: { id, hostname: `host-${id}`, address: `10.0.0.${id.slice(1)}:2377` } }) };
  const availability = r < 0.65 ? 'drain' : AVAIL[rng.int(AVAIL.length)]!;
  return { op: { ...op, kind: 'setAvailability', input: availability }, body: ext({ op: 'update', id, patch: { availability } }) };
}

function ext(payload: unknown): CommandBody {
  return { type: 'ext', name: MEMBERSHIP_EXT, payload };
}

/** The KV key a read operation reads. */
export function readKey(op: SimOp): string {
  return isMemberOp(op) ? NODE_PREFIX + op.key.slice(MEMBER_KEY.length) : op.key;
}

/** Record a read's output from the replica's value of its key. */
export function readOutput(op: SimOp, kv: { value: Uint8Array; modRevision: number } | null): Seen | null {
  if (isMemberOp(op)) {
    op.output = kv === null ? null : decodeNode(kv.value).availability;
    return null;
  }
  const value = kv === null ? null : dec.decode(kv.value);
  op.output = value;
  return { value, rev: kv?.modRevision ?? 0 };
}

/** How a write ended, from the state machine's result; `seen` is what the client now knows of the key. */
export interface WriteEnd {
  readonly outcome: 'ok' | 'fail';
  readonly seen: Seen | null;
  /** The session is gone (expired): the client must open another. */
  readonly sessionLost: boolean;
}

/** Map a write's result into its history entry (sets `op.output`). */
export function writeResult(op: SimOp, r: KvResult): WriteEnd {
  if (r.kind === 'error') {
    if (op.kind === 'setAvailability' && r.code === 'PRECONDITION_FAILED') {
      op.output = false;
      return { outcome: 'ok', seen: null, sessionLost: false };
    }
    return { outcome: 'fail', seen: null, sessionLost: r.code === 'SESSION_EXPIRED' };
  }
  const ok = (seen: Seen | null): WriteEnd => ({ outcome: 'ok', seen, sessionLost: false });
  switch (op.kind) {
    case 'write': return ok({ value: op.input, rev: r.revision });
    case 'delete': return ok({ value: null, rev: 0 });
    case 'cas': {
      const swapped = r.kind === 'txn' && r.succeeded;
      op.output = swapped;
      return ok(swapped ? { value: op.input.value, rev: r.revision } : null);
    }
    case 'register':
      op.output = r.kind === 'ext' ? ((r.value as StoredNode).availability as MemberState) : null;
      return ok(null);
    case 'setAvailability':
      op.output = true;
      return ok(null);
    default:
      return { outcome: 'fail', seen: null, sessionLost: false };
  }
}
