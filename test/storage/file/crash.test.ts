/**
 * Crash sweeps of FileStorage on SimDisk: random save sequences, crashes at
 * random points, restarts from what survived; compared with a model of what
 * resolved saves promise.
 */
import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../../src/errors.js';
import { EntryType, type Entry, type HardState } from '../../../src/raft/core/types.js';
import { PREAMBLE_BYTES, readRecord, scanRecords } from '../../../src/storage/file/record.js';
import type { PersistentState, StoredSnapshot } from '../../../src/storage/storage.js';
import type { DiskImage } from '../../../src/testing/sim/disk.js';
import type { Prng } from '../../../src/util/prng.js';
import { SimNode } from './sim-helpers.js';

type Op =
  | { kind: 'save'; hardState: HardState | null; entries: Entry[] }
  | { kind: 'snapshot'; snapshot: StoredSnapshot; compactTo: number; discardLog: boolean };

const CONFIG = { voters: ['n1', 'n2', 'n3'], outgoing: [], learners: [], removed: [], epoch: 0, addresses: {} };

/** What resolved operations leave, with MemoryStorage's semantics. */
function apply(s: PersistentState, op: Op): PersistentState {
  if (op.kind === 'snapshot') {
    const entries = op.discardLog ? [] : s.entries.filter((e) => e.index > op.compactTo);
    return { hardState: s.hardState, entries, snapshot: op.snapshot };
  }
  const first = op.entries[0]?.index ?? Number.POSITIVE_INFINITY;
  return { hardState: op.hardState ?? s.hardState, entries: [...s.entries.filter((e) => e.index < first), ...op.entries], snapshot: s.snapshot };
}

function entry(rng: Prng, term: number, index: number): Entry {
  const data = Uint8Array.from({ length: rng.int(300) }, () => rng.int(256));
  return rng.int(5) === 0 ? { term, index, type: EntryType.Normal, data, origin: 'n2', seq: index } : { term, index, type: EntryType.Normal, data };
}

/** A random operation a Raft node could ask for in state `s`: appends, truncations of the uncommitted tail, hard state changes, snapshots. */
function randomOp(rng: Prng, s: PersistentState): Op {
  const { term, vote, commit } = s.hardState;
  const snapIndex = s.snapshot?.meta.index ?? 0;
  const last = s.entries.at(-1)?.index ?? snapIndex;
  if (rng.int(10) === 0 && last > 0) {
    const discardLog = rng.int(3) === 0;
    const index = discardLog ? last + rng.int(5) : Math.max(snapIndex, commit - rng.int(3), 1);
    const snapshot = { meta: { index, term: Math.max(term, 1), config: CONFIG }, data: Uint8Array.of(index & 0xff, rng.int(256)) };
    return { kind: 'snapshot', snapshot, compactTo: index, discardLog };
  }
  const newTerm = rng.int(6) === 0 ? term + 1 : term;
  const floor = Math.max(commit, snapIndex, (s.entries[0]?.index ?? last + 1) - 1);
  const start = rng.int(4) === 0 && last > floor ? floor + 1 + rng.int(last - floor) : last + 1;
  const entries = Array.from({ length: rng.int(3) === 0 ? 0 : 1 + rng.int(20) }, (_, i) => entry(rng, newTerm, start + i));
  const top = entries.at(-1)?.index ?? Math.min(last, start - 1);
  const hardState = rng.int(3) === 0 ? null : { term: newTerm, vote: newTerm === term ? vote : rng.int(2) === 0 ? 'n1' : null, commit: Math.max(commit, Math.min(top, commit + rng.int(10))) };
  return { kind: 'save', hardState: hardState === null && entries.length === 0 ? { term, vote, commit } : hardState, entries };
}

const keyOf = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? [...x] : x));

/** Loaded state must be `post` if the operation resolved; each part `pre` or `post` if it did not. */
function expectState(got: PersistentState, pre: PersistentState, post: PersistentState, resolved: boolean, where: string): void {
  for (const part of ['hardState', 'entries', 'snapshot'] as const) {
    const allowed = resolved ? [keyOf(post[part])] : [keyOf(pre[part]), keyOf(post[part])];
    expect(allowed, `${where}: ${part}`).toContain(keyOf(got[part]));
  }
}

function run(node: SimNode, op: Op): Promise<void> {
  return op.kind === 'save' ? node.storage.save(op) : node.storage.saveSnapshot(op.snapshot, op);
}

/** One seed: rounds of settled operations, one more interrupted by a crash, then a restart checked against the model. */
async function crashSweep(seed: number, rounds: number): Promise<{ torn: number; segments: number }> {
  const node = new SimNode(seed, { segmentBytes: 1024 + (seed % 5) * 1024 });
  const rng = node.rng.fork('ops');
  let model = await node.run(node.storage.load());
  const counts = { torn: 0, segments: 0 };
  for (let round = 0; round < rounds; round++) {
    for (let i = rng.int(12); i > 0; i--) {
      const op = randomOp(rng, model);
      await node.run(run(node, op));
      model = apply(model, op);
    }
    const op = randomOp(rng, model);
    let resolved = false;
    void run(node, op).then(() => (resolved = true));
    await node.loop.runForAsync(rng.int(5));
    counts.segments += node.storage.stats.segmentsCreated;
    const after = node.restart();
    const got = await node.run(after.load());
    counts.torn += after.stats.tornTailsTruncated;
    expectState(got, model, apply(model, op), resolved, `seed ${seed} round ${round}`);
    model = got;
  }
  return counts;
}

const segmentsOf = (img: DiskImage): string[] => [...img.files.keys()].filter((p) => p.endsWith('.wal')).sort();

/** Every batch record of every segment: [path, offset]. */
function batchRecords(img: DiskImage): Array<[string, number]> {
  return segmentsOf(img).flatMap((p) => {
    const bytes = img.files.get(p)!;
    const header = readRecord(bytes, PREAMBLE_BYTES, 1 << 30)!;
    return scanRecords(bytes, header.end, 1 << 30).records.map((r): [string, number] => [p, r.offset]);
  });
}

describe('FileStorage crash sweeps on SimDisk', () => {
  it('after a crash at a random point, keeps every resolved save and shows nothing unsynced as corrupt (150 seeds)', async () => {
    const total = { torn: 0, segments: 0 };
    for (let seed = 1; seed <= 150; seed++) {
      const c = await crashSweep(seed, 6);
      total.torn += c.torn;
      total.segments += c.segments;
    }
    // The sweep must have exercised torn tails and segment rotation, or it proved little.
    expect(total.torn).toBeGreaterThan(10);
    expect(total.segments).toBeGreaterThan(150);
  });

  it('refuses to start when any synced record but the very last is damaged (60 seeds)', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const node = new SimNode(seed, { segmentBytes: 2048 });
      const rng = node.rng.fork('ops');
      let model = await node.run(node.storage.load());
      for (let i = 0; i < 15; i++) {
        const op = randomOp(rng, model);
        await node.run(run(node, op));
        model = apply(model, op);
      }
      const image = node.disk.crash('drop');
      const records = batchRecords(image);
      if (records.length < 2) continue;
      const [path, offset] = records[rng.int(records.length - 1)]!;
      const bytes = image.files.get(path)!.slice();
      bytes[offset + 9 + rng.int(4)]! ^= 1 << rng.int(8);
      const s = node.restart({ files: new Map(image.files).set(path, bytes), dirs: image.dirs });
      await expect(node.run(s.load()), `seed ${seed}`).rejects.toSatisfy((e) => isQuorumkitError(e, 'STORAGE_CORRUPTION'));
    }
  });

  it('fail-stops on a failed fsync, never retries it, and recovers the old or new state after a crash (80 seeds)', async () => {
    let failures = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const node = new SimNode(seed, { segmentBytes: 2048 });
      const rng = node.rng.fork('ops');
      let model = await node.run(node.storage.load());
      node.disk.setFaults({ syncEioRate: 0.05 });
      for (let i = 0; i < 40; i++) {
        const op = randomOp(rng, model);
        const ok = await node.run(run(node, op)).then(() => true, (e: unknown) => (isQuorumkitError(e, 'STORAGE_FAILURE') ? false : Promise.reject(e)));
        if (ok) model = apply(model, op);
        else {
          failures++;
          const syncs = node.disk.stats.syncs;
          await expect(node.run(run(node, randomOp(rng, model)))).rejects.toSatisfy((e) => isQuorumkitError(e, 'STORAGE_FAILURE'));
          expect(node.disk.stats.syncs).toBe(syncs);
          expectState(await node.run(node.restart().load()), model, apply(model, op), false, `seed ${seed}`);
          break;
        }
      }
    }
    expect(failures).toBeGreaterThan(20);
  });
});
