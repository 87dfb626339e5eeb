/**
 * The real replicated KV in the simulator: each replica's `KvStateMachine`
 * (with `membershipExtension`), a deterministic digest of its state for the
 * equal-hash-at-equal-index check, and the snapshot format of a real-KV run
 * (the simulator's own bookkeeping followed by `KvStateMachine.snapshot()`).
 * @module
 */
import type { Clock } from '../../clock.js';
import { decodeKvCommand, type KvCommand } from '../../codec/kv.js';
import { KvStateMachine } from '../../kv/state-machine.js';
import type { KvResult } from '../../kv/types.js';
import { membershipExtension } from '../../membership/extension.js';
import { decodeKvState, encodeKvState, type SimKvState } from './kv-sm.js';

/**
 * A fresh replica of the real KV, with the node table's extension installed.
 * Snapshots yield every few keys on the virtual `clock`, so later entries
 * apply while one is encoded, in an order the seed decides.
 */
export function newReplicaKv(clock: Clock): KvStateMachine {
  return new KvStateMachine({ extensions: [membershipExtension], clock, snapshotKeysPerTurn: 2 });
}

/** What applying one entry to the real KV did. */
export interface RealApply {
  /** The decoded command. */
  readonly cmd: KvCommand;
  /** The state machine's answer. */
  readonly result: KvResult;
  /** Whether it wrote (the KV revision moved to this entry's index). */
  readonly effect: boolean;
}

/** Apply entry data to `kv`; null when it is no KV command (blank entries, the heal probe). */
export function applyReal(kv: KvStateMachine, data: Uint8Array, index: number, term: number): RealApply | null {
  let cmd: KvCommand;
  try {
    cmd = decodeKvCommand(data);
  } catch {
    return null;
  }
  const before = kv.revision;
  const result = kv.apply(data, { index, term });
  return { cmd, result, effect: kv.revision !== before };
}

const ALL = [{ key: '', prefix: true }, { key: '\u0000', prefix: true }] as const;

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A digest of everything a client could observe: revisions, replicated time, sessions, leases, every key's value and versions. */
export function kvDigest(kv: KvStateMachine): number {
  const c = kv.counts;
  let h = fnv(0x811c9dc5, `${kv.revision}/${kv.compactRevision}/${kv.replicatedTime}/${c.sessions}/${c.leases}`);
  for (const sel of ALL) {
    for (const x of kv.range(sel).kvs) {
      h = fnv(h, `${x.key}\u0001${x.createRevision}/${x.modRevision}/${x.version}/${x.lease}\u0001`);
      for (const b of x.value) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    }
  }
  return h;
}

/** A real-KV snapshot: 4 bytes of length, the simulator's state, then the KV's own snapshot bytes. */
export function encodeRealSnapshot(sm: SimKvState, kv: Uint8Array): Uint8Array {
  const head = encodeKvState(sm);
  const out = new Uint8Array(4 + head.length + kv.length);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  out.set(kv, 4 + head.length);
  return out;
}

/** Split a snapshot made by {@link encodeRealSnapshot}. */
export function decodeRealSnapshot(data: Uint8Array): { sm: SimKvState; kv: Uint8Array } {
  const len = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
  return { sm: decodeKvState(data.subarray(4, 4 + len)), kv: data.subarray(4 + len) };
}
