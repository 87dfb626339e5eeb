/**
 * State of the simulated disk: file content changes and the crash rules
 * applied to those not yet synced; the namespace and its journal of name changes.
 * @module
 */
import type { Prng } from '../../util/prng.js';

/** The unit of atomicity of the simulated device: a torn write keeps a whole number of sectors. */
export const SECTOR_SIZE = 512;

/**
 * How unsynced changes fare at a crash: `random` (each independently kept,
 * dropped or torn; a random prefix of name changes kept), or every change
 * `keep`, `drop` or `tear` (name changes: all, none, a random prefix).
 */
export type CrashMode = 'random' | 'keep' | 'drop' | 'tear';

/** One content change of a file. */
export type Change = { kind: 'write'; offset: number; bytes: Uint8Array } | { kind: 'truncate'; size: number };

/** A file: its live content, its durable content, and the changes between them, in order. */
export interface Inode {
  data: Uint8Array;
  durable: Uint8Array;
  pending: Change[];
}

/** Apply a change; returns `data` itself when it did not need to grow. */
export function applyChange(data: Uint8Array, c: Change): Uint8Array {
  if (c.kind === 'truncate') {
    if (c.size <= data.length) return data.slice(0, c.size);
    return resized(data, c.size);
  }
  const end = c.offset + c.bytes.length;
  const out = end > data.length ? resized(data, end) : data;
  out.set(c.bytes, c.offset);
  return out;
}

function resized(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(data.subarray(0, Math.min(size, data.length)));
  return out;
}

/** What is left of one unsynced change after a crash: all of it, nothing, or a prefix ending on a sector boundary. */
function survivor(c: Change, mode: CrashMode, rng: Prng): Change | null {
  const fate = mode === 'random' ? (['keep', 'drop', 'tear'] as const)[rng.int(3)]! : mode;
  if (fate === 'keep') return c;
  if (fate === 'drop') return null;
  // Sector boundaries strictly inside the write; a write inside one sector is atomic.
  const first = c.kind === 'write' ? Math.floor(c.offset / SECTOR_SIZE) + 1 : 0;
  const last = c.kind === 'write' ? Math.ceil((c.offset + c.bytes.length) / SECTOR_SIZE) - 1 : -1;
  if (c.kind === 'truncate' || first > last) return rng.int(2) === 0 ? c : null;
  const cut = (first + rng.int(last - first + 1)) * SECTOR_SIZE;
  return { kind: 'write', offset: c.offset, bytes: c.bytes.subarray(0, cut - c.offset) };
}

/** The content of a file after a crash: its durable content plus the survivors of its unsynced changes. */
export function crashContent(inode: Inode, mode: CrashMode, rng: Prng): Uint8Array {
  return settleFailedSync(inode.durable, inode.pending, rng, mode);
}

/**
 * Apply the crash rules to `changes` on top of `durable` (a copy is returned).
 * Also what a failed sync does to the changes it covered: their fate is decided then.
 */
export function settleFailedSync(durable: Uint8Array, changes: readonly Change[], rng: Prng, mode: CrashMode = 'random'): Uint8Array {
  let out: Uint8Array = durable.slice();
  for (const c of changes) {
    const s = survivor(c, mode, rng);
    if (s !== null) out = applyChange(out, s);
  }
  return out;
}

/** A name change, journaled until a directory sync makes it durable. */
export type NsOp = { kind: 'link'; path: string; inode: Inode } | { kind: 'unlink'; path: string } | { kind: 'rename'; from: string; to: string } | { kind: 'mkdir'; path: string };

/** The namespace: names to inodes, and directories. */
export interface Names {
  files: Map<string, Inode>;
  dirs: Set<string>;
}

/** Apply a name change to a namespace. */
export function applyNs(ns: Names, op: NsOp): void {
  if (op.kind === 'link') ns.files.set(op.path, op.inode);
  else if (op.kind === 'unlink') ns.files.delete(op.path);
  else if (op.kind === 'mkdir') ns.dirs.add(op.path);
  else {
    const inode = ns.files.get(op.from);
    ns.files.delete(op.from);
    if (inode !== undefined) ns.files.set(op.to, inode);
  }
}

/** Whether a name change affects directory `dir`. */
export function touches(op: NsOp, dir: string): boolean {
  return op.kind === 'rename' ? parentOf(op.from) === dir || parentOf(op.to) === dir : parentOf(op.path) === dir;
}

/** Normalize an absolute path: collapse slashes, drop a trailing one. */
export function normalizePath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}

/** Index of the last element satisfying `pred`, or -1 (ES2022 lacks findLastIndex). */
export function lastIndexWhere<T>(list: readonly T[], pred: (x: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) return i;
  return -1;
}

/** The parent directory of a normalized path. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * Remove and return the leading entries of `list` that are in `covered`: what a
 * sync issued earlier covers and a sync completing before it has not yet taken
 * (syncs with latency spikes can complete out of order).
 */
export function takeCovered<T>(list: T[], covered: readonly T[]): T[] {
  const set = new Set(covered);
  let n = 0;
  while (n < list.length && set.has(list[n]!)) n++;
  return list.splice(0, n);
}

