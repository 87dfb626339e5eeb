/**
 * Assertions of the conformance suites: plain functions that throw an
 * `Error` saying what differed, so the suites need no test framework.
 * @module
 */
import type { Entry, HardState } from '../../raft/core/types.js';
import type { StoredSnapshot } from '../../storage/storage.js';

/** Throw `message` unless `ok`. */
export function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(`Storage conformance: ${message}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function show(e: Entry | undefined): string {
  return e === undefined ? 'nothing' : `{term ${e.term}, index ${e.index}, type ${e.type}, ${e.data.length} bytes${e.origin === undefined ? '' : `, origin ${e.origin}#${e.seq}`}}`;
}

function sameEntry(a: Entry, b: Entry): boolean {
  return a.term === b.term && a.index === b.index && a.type === b.type && a.origin === b.origin && a.seq === b.seq && sameBytes(a.data, b.data);
}

/** Throw unless `got` equals `want` entry by entry. */
export function checkEntries(got: readonly Entry[], want: readonly Entry[], what: string): void {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const [g, w] = [got[i], want[i]];
    check(g !== undefined && w !== undefined && sameEntry(g, w), `${what}: at position ${i} expected ${show(w)}, got ${show(g)}`);
  }
}

/** Throw unless the hard states are equal. */
export function checkHardState(got: HardState, want: HardState, what: string): void {
  const same = got.term === want.term && got.vote === want.vote && got.commit === want.commit;
  check(same, `${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

/** Throw unless `got` is the snapshot `want` (meta, configuration and data). */
export function checkSnapshot(got: StoredSnapshot | null, want: StoredSnapshot, what: string): void {
  check(got !== null, `${what}: expected a snapshot at ${want.meta.index}, got none`);
  check(got.meta.index === want.meta.index && got.meta.term === want.meta.term, `${what}: expected index ${want.meta.index} term ${want.meta.term}, got ${got.meta.index}/${got.meta.term}`);
  check(JSON.stringify(got.meta.config) === JSON.stringify(want.meta.config), `${what}: configuration differs: ${JSON.stringify(got.meta.config)}`);
  check(sameBytes(got.data, want.data), `${what}: data differs`);
}

/** Throw unless `p` rejects. */
export async function checkRejects(p: Promise<unknown>, what: string): Promise<void> {
  let rejected = false;
  await p.catch(() => (rejected = true));
  check(rejected, `${what}: expected a rejection, but it resolved`);
}
