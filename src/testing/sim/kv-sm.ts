/**
 * The simulator's replicated state machine: a small key-value map of
 * registers with write and compare-and-set, and a session table (client id
 * → last sequence number and its result) so a retried command takes effect
 * once. Commands and snapshots are JSON; the state hash is a rolling hash of
 * the applied commands, so equal applied indexes must give equal hashes.
 * @module
 */
import type { KvValue } from '../linearizability/kv-model.js';

/** A command proposed by a simulated client. */
export interface SimCommand {
  /** Client id. */
  readonly c: string;
  /** The client's sequence number; a command with a sequence already applied is answered from the session table. */
  readonly s: number;
  /** Key. */
  readonly k: string;
  /** `w`: write `v`; `c`: set `v` if the key holds `e`. */
  readonly t: 'w' | 'c';
  /** The value to write. */
  readonly v: string;
  /** CAS expectation. */
  readonly e?: KvValue;
}

/** The result of applying one command. */
export interface SimApplyResult {
  /** For a CAS: whether it swapped. Writes: true. */
  readonly ok: boolean;
  /** Whether the session table answered (a retry of an applied command). */
  readonly duplicate: boolean;
}

/** The state machine of one replica. */
export interface SimKvState {
  /** Applied index. */
  index: number;
  /** Term of the entry at `index`. */
  term: number;
  /** Rolling hash of applied commands. */
  hash: number;
  /** Key → value. */
  kv: Map<string, string>;
  /** Client → [last sequence applied, its result]. */
  sessions: Map<string, [number, boolean]>;
  /** How many commands took effect (duplicates excluded), per (client:seq) — the one-effect check. */
  effects: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A fresh, empty state. */
export function emptyKvState(): SimKvState {
  return { index: 0, term: 0, hash: 0, kv: new Map(), sessions: new Map(), effects: 0 };
}

/** Encode a command as entry data. */
export function encodeCommand(cmd: SimCommand): Uint8Array {
  return enc.encode(JSON.stringify(cmd));
}

/** Decode entry data into a command, or null if it is not one (a blank entry, the heal probe). */
export function decodeCommand(data: Uint8Array): SimCommand | null {
  if (data.length === 0 || data[0] !== 0x7b) return null;
  return JSON.parse(dec.decode(data)) as SimCommand;
}

/** Apply a command: once per (client, sequence); a repeat is answered from the session table. */
export function applyCommand(st: SimKvState, cmd: SimCommand): SimApplyResult {
  const last = st.sessions.get(cmd.c);
  if (last !== undefined && cmd.s <= last[0]) return { ok: last[1], duplicate: true };
  const cur = st.kv.get(cmd.k) ?? null;
  const ok = cmd.t === 'w' || cur === (cmd.e ?? null);
  if (ok) st.kv.set(cmd.k, cmd.v);
  st.sessions.set(cmd.c, [cmd.s, ok]);
  st.effects++;
  return { ok, duplicate: false };
}

/** Fold an applied entry's hash into the state hash. */
export function foldHash(hash: number, entryHash: number): number {
  return Math.imul(hash ^ entryHash, 0x01000193) >>> 0;
}

/** Serialize a state for a snapshot. */
export function encodeKvState(st: SimKvState): Uint8Array {
  return enc.encode(JSON.stringify({ i: st.index, t: st.term, h: st.hash, kv: [...st.kv], s: [...st.sessions], e: st.effects }));
}

/** Restore a state from a snapshot. */
export function decodeKvState(b: Uint8Array): SimKvState {
  const o = JSON.parse(dec.decode(b)) as { i: number; t: number; h: number; kv: [string, string][]; s: [string, [number, boolean]][]; e: number };
  return { index: o.i, term: o.t, hash: o.h, kv: new Map(o.kv), sessions: new Map(o.s), effects: o.e };
}
