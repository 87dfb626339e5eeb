/**
 * Durable storage throughput on this machine's disk: the raw fsync rate (N
 * small write + fsync pairs on a temp file) beside FileStorage's durable
 * `save` rate with batches of 1, 16 and 256 entries of 64 bytes, and the
 * ratio to what group commit can at best reach: fsync rate × batch size.
 * `npm run bench -- storage [--seconds S]`.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStorage } from '../src/node.js';
import type { Entry } from '../src/raft/core/types.js';
import type { BenchRow } from './run.js';

/** Calls and seconds spent, summed over slices. */
interface Tally {
  calls: number;
  seconds: number;
}

/** Run `step` repeatedly for about `seconds`, adding to `t`. */
async function slice(t: Tally, seconds: number, step: () => Promise<void>): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await step();
    t.calls++;
  }
  t.seconds += (performance.now() - start) / 1000;
}

/** Appends 64 B and fsyncs: the machine's raw durable-write rate. */
async function fsyncStep(dir: string, name = 'fsync-probe'): Promise<{ step: () => Promise<void>; close: () => Promise<void> }> {
  const h = await open(join(dir, name), 'w');
  const buf = new Uint8Array(64);
  let pos = 0;
  const step = async (): Promise<void> => {
    await h.write(buf, 0, buf.length, pos);
    pos += buf.length;
    await h.sync();
  };
  return { step, close: () => h.close() };
}

/** One durable FileStorage save of `batch` 64-byte entries, with a commit-hint change as a node makes. */
async function saveStep(dir: string, batch: number): Promise<{ step: () => Promise<void>; close: () => Promise<void> }> {
  const storage = createFileStorage(join(dir, `wal-${batch}`), { clusterId: 'bench', nodeId: 'n1' });
  await storage.load();
  const data = new Uint8Array(64).fill(1);
  let next = 1;
  const step = async (): Promise<void> => {
    const entries: Entry[] = Array.from({ length: batch }, (_, i) => ({ term: 1, index: next + i, type: 0, data }));
    next += batch;
    await storage.save({ hardState: { term: 1, vote: 'n1', commit: next - 1 }, entries });
  };
  return { step, close: () => storage.close() };
}

/** This disk's raw fsync rate in `dir`: 64 B write + fsync pairs, back to back, for `seconds`. */
export async function rawFsyncRate(dir: string, seconds: number, file = 'fsync-probe'): Promise<number> {
  const raw = await fsyncStep(dir, file);
  const t: Tally = { calls: 0, seconds: 0 };
  try {
    await slice(t, seconds, raw.step);
  } finally {
    await raw.close();
  }
  return t.calls / t.seconds;
}

/**
 * This disk's fsync latency drifts by several times within seconds (shared
 * machine), so raw fsyncs and saves run in alternating short slices and each
 * ratio compares rates measured over the same stretch of time.
 */
async function paired(dir: string, batch: number, seconds: number): Promise<BenchRow> {
  const raw = await fsyncStep(dir);
  const save = await saveStep(dir, batch);
  const r: Tally = { calls: 0, seconds: 0 };
  const s: Tally = { calls: 0, seconds: 0 };
  try {
    for (let i = 0; i < 10; i++) {
      await slice(r, seconds / 20, raw.step);
      await slice(s, seconds / 20, save.step);
    }
  } finally {
    await raw.close();
    await save.close();
  }
  const fsyncs = r.calls / r.seconds;
  const saves = s.calls / s.seconds;
  return {
    batch,
    'raw fsyncs/s': Math.round(fsyncs),
    'saves/s': Math.round(saves),
    'entries/s': Math.round(saves * batch),
    'ratio to fsync rate × batch': (saves / fsyncs).toFixed(2),
  };
}

/** The bench suite entry point. */
export async function run(args: string[]): Promise<BenchRow[]> {
  const i = args.indexOf('--seconds');
  const seconds = i >= 0 ? Number(args[i + 1]) : 4;
  const dir = await mkdtemp(join(tmpdir(), 'quorumkit-bench-'));
  try {
    const rows: BenchRow[] = [];
    for (const batch of [1, 16, 256]) rows.push(await paired(dir, batch, seconds));
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
