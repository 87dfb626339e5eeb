/**
 * A conformance suite for {@link RaftStorage} adapters, framework-agnostic:
 * each case is an async function that throws on failure. quorumkit's own
 * adapters pass it; so should yours.
 * @module
 */
import { EntryType, type Entry, type HardState } from '../../raft/core/types.js';
import type { RaftStorage, StoredSnapshot } from '../../storage/storage.js';
import { check, checkEntries, checkHardState, checkRejects, checkSnapshot } from './checks.js';

/** One storage under test, as a node sees it across restarts. */
export interface StorageUnderTest {
  /** The storage on fresh, empty state (called once per case, first). */
  open(): Promise<RaftStorage>;
  /**
   * The same durable state as a new instance, as after a process restart:
   * close the previous instance (the suite does not) and open another on what it left.
   */
  reopen(): Promise<RaftStorage>;
  /** Release everything (temporary directories, say); called after each case. */
  dispose?(): Promise<void>;
}

/** Makes a fresh {@link StorageUnderTest} for each case. */
export type StorageFactory = () => StorageUnderTest | Promise<StorageUnderTest>;

/** A named conformance case; `run` rejects on failure. */
export interface ConformanceCase {
  /** What the case checks. */
  readonly name: string;
  /** Run the case on a fresh storage from the factory. */
  readonly run: () => Promise<void>;
}

/** The subset of vitest's, jest's or mocha's globals that {@link runStorageSuite} uses. */
export interface TestFramework {
  /** Group tests. */
  describe(name: string, body: () => void): void;
  /** Declare one test. */
  it(name: string, body: () => Promise<void>): void;
}

const data = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Entries `from..to` of `term`, with data naming them so a mix-up shows. */
export function makeEntries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ term, index: i, type: EntryType.Normal, data: data(`t${term}i${i}`) });
  return out;
}

function snapshotAt(index: number, term: number): StoredSnapshot {
  const config = { voters: ['a', 'b', 'c'], outgoing: [], learners: ['d'], removed: [], epoch: 0, addresses: { a: 'host-a:1' } };
  return { meta: { index, term, config }, data: data(`state@${index}`) };
}

const hs = (term: number, vote: string | null, commit: number): HardState => ({ term, vote, commit });

/** Entries of `loaded` with index > `after` must be exactly `want`; earlier ones (kept for slow followers) must be a contiguous lead-in. */
function checkTail(loaded: readonly Entry[], after: number, want: readonly Entry[], what: string): void {
  const first = loaded[0]?.index ?? after + 1;
  check(first <= after + 1, `${what}: log starts at ${first}, after snapshot index ${after} + 1`);
  checkEntries(loaded.filter((e) => e.index > after), want, what);
  loaded.forEach((e, i) => check(e.index === first + i, `${what}: hole at position ${i}`));
}

type Body = (u: StorageUnderTest, s: RaftStorage) => Promise<void>;

const CASES: ReadonlyArray<readonly [string, Body]> = [
  ['loads empty state when fresh', async (_u, s) => {
    const st = await s.load();
    checkHardState(st.hardState, hs(0, null, 0), 'fresh hard state');
    checkEntries(st.entries, [], 'fresh entries');
    check(st.snapshot === null, 'fresh snapshot must be null');
  }],
  ['saves and loads hard state and entries', async (_u, s) => {
    await s.load();
    const forwarded: Entry = { term: 1, index: 4, type: EntryType.Normal, data: new Uint8Array(70_000).fill(7), origin: 'n2', seq: 9 };
    await s.save({ hardState: hs(1, 'a', 0), entries: makeEntries(1, 3, 1) });
    await s.save({ hardState: hs(1, 'a', 3), entries: [forwarded] });
    await s.save({ hardState: null, entries: makeEntries(5, 5, 1) });
    const st = await s.load();
    checkHardState(st.hardState, hs(1, 'a', 3), 'hard state');
    checkEntries(st.entries, [...makeEntries(1, 3, 1), forwarded, ...makeEntries(5, 5, 1)], 'entries');
  }],
  ['truncates the stored suffix from the first new entry', async (_u, s) => {
    await s.load();
    await s.save({ hardState: hs(1, null, 0), entries: makeEntries(1, 5, 1) });
    await s.save({ hardState: hs(2, 'b', 0), entries: makeEntries(3, 4, 2) });
    checkEntries((await s.load()).entries, [...makeEntries(1, 2, 1), ...makeEntries(3, 4, 2)], 'after truncation');
    await s.save({ hardState: null, entries: makeEntries(5, 6, 2) });
    checkEntries((await s.load()).entries, [...makeEntries(1, 2, 1), ...makeEntries(3, 6, 2)], 'after appending again');
  }],
  ['refuses an append that would leave a hole', async (_u, s) => {
    await s.load();
    await s.save({ hardState: null, entries: makeEntries(1, 3, 1) });
    await checkRejects(s.save({ hardState: null, entries: makeEntries(5, 6, 1) }), 'append at 5 after 3');
    checkEntries((await s.load()).entries, makeEntries(1, 3, 1), 'log after the refused append');
  }],
  ['saves a snapshot and compacts the log to compactTo', async (u, s) => {
    await s.load();
    await s.save({ hardState: hs(1, 'a', 10), entries: makeEntries(1, 10, 1) });
    await s.saveSnapshot(snapshotAt(6, 1), { compactTo: 6, discardLog: false });
    let st = await s.load();
    checkSnapshot(st.snapshot, snapshotAt(6, 1), 'snapshot');
    checkTail(st.entries, 6, makeEntries(7, 10, 1), 'entries after compaction');
    st = await (await u.reopen()).load();
    checkSnapshot(st.snapshot, snapshotAt(6, 1), 'snapshot after reopen');
    checkTail(st.entries, 6, makeEntries(7, 10, 1), 'entries after compaction and reopen');
    checkHardState(st.hardState, hs(1, 'a', 10), 'hard state after compaction and reopen');
  }],
  ['saves a snapshot that discards the log', async (u, s) => {
    await s.load();
    await s.save({ hardState: hs(1, 'a', 2), entries: makeEntries(1, 5, 1) });
    await s.saveSnapshot(snapshotAt(20, 3), { compactTo: 20, discardLog: true });
    for (const st of [await s.load(), await (await u.reopen()).load()]) {
      checkSnapshot(st.snapshot, snapshotAt(20, 3), 'snapshot');
      checkEntries(st.entries, [], 'entries after discardLog');
      checkHardState(st.hardState, hs(1, 'a', 2), 'hard state after discardLog');
    }
  }],
  ['loads after reopen exactly what resolved saves left', async (u, s) => {
    await s.load();
    await s.save({ hardState: hs(3, 'c', 0), entries: makeEntries(1, 4, 3) });
    await s.save({ hardState: hs(3, 'c', 2), entries: makeEntries(3, 3, 3) });
    let r = await u.reopen();
    let st = await r.load();
    checkHardState(st.hardState, hs(3, 'c', 2), 'hard state after reopen');
    checkEntries(st.entries, makeEntries(1, 3, 3), 'entries after reopen');
    await r.save({ hardState: hs(4, null, 3), entries: makeEntries(4, 6, 4) });
    r = await u.reopen();
    st = await r.load();
    checkHardState(st.hardState, hs(4, null, 3), 'hard state after second reopen');
    checkEntries(st.entries, [...makeEntries(1, 3, 3), ...makeEntries(4, 6, 4)], 'entries after second reopen');
  }],
  ['keeps a save that runs while a compacting snapshot is written', async (u, s) => {
    await s.load();
    await s.save({ hardState: hs(1, 'a', 8), entries: makeEntries(1, 10, 1) });
    await Promise.all([
      s.saveSnapshot(snapshotAt(8, 1), { compactTo: 8, discardLog: false }),
      s.save({ hardState: hs(1, 'a', 10), entries: makeEntries(11, 12, 1) }),
    ]);
    await s.save({ hardState: null, entries: makeEntries(13, 13, 1) });
    const st = await (await u.reopen()).load();
    checkSnapshot(st.snapshot, snapshotAt(8, 1), 'snapshot');
    checkTail(st.entries, 8, makeEntries(9, 13, 1), 'entries saved around the snapshot');
    checkHardState(st.hardState, hs(1, 'a', 10), 'hard state saved during the snapshot');
  }],
  ['appends entries after a snapshot', async (u, s) => {
    await s.load();
    await s.saveSnapshot(snapshotAt(10, 2), { compactTo: 10, discardLog: true });
    await checkRejects(s.save({ hardState: null, entries: makeEntries(12, 12, 2) }), 'append at 12 after snapshot 10');
    await s.save({ hardState: hs(2, 'a', 11), entries: makeEntries(11, 13, 2) });
    await s.saveSnapshot(snapshotAt(12, 2), { compactTo: 12, discardLog: false });
    await s.save({ hardState: null, entries: makeEntries(14, 14, 2) });
    const st = await (await u.reopen()).load();
    checkSnapshot(st.snapshot, snapshotAt(12, 2), 'latest snapshot');
    checkTail(st.entries, 12, makeEntries(13, 14, 2), 'entries after snapshots');
  }],
];

/**
 * The conformance cases, each running on a fresh storage from `factory`.
 *
 * @example
 * ```ts
 * for (const c of storageConformanceCases(() => memoryUnderTest())) await c.run();
 * ```
 */
export function storageConformanceCases(factory: StorageFactory): ConformanceCase[] {
  return CASES.map(([name, body]) => ({
    name,
    run: async () => {
      const u = await factory();
      try {
        await body(u, await u.open());
      } finally {
        await u.dispose?.();
      }
    },
  }));
}

/**
 * Declare the conformance cases as tests of your framework.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * runStorageSuite(() => myStorageUnderTest(), { describe, it });
 * ```
 */
export function runStorageSuite(factory: StorageFactory, framework: TestFramework, name = 'RaftStorage conformance'): void {
  framework.describe(name, () => {
    for (const c of storageConformanceCases(factory)) framework.it(c.name, c.run);
  });
}
