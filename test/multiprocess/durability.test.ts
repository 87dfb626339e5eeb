/**
 * Whole-cluster crashes of real processes: every acknowledged write survives
 * SIGKILL of all five processes at once (FileStorage fsyncs before it
 * acknowledges); and, as a check that the harness can fail, wiping the data
 * directories before the restart is reported as lost writes.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkKvDurability, checkLinearizability, kvModel, type KvOp, type KvValue } from '../../src/testing/linearizability/index.js';
import { ProcessCluster } from './cluster.js';
import { History } from './workload.js';

const KEYS = ['a', 'b', 'c', 'd'];
let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.destroy();
  cluster = null;
});

/** Write two unique values per key through every node in turn, then kill every process and restart them (optionally wiping their data first). */
async function crashAll(nodes: number, wipe: boolean): Promise<{ h: History; acked: number; cleanExit: boolean }> {
  cluster = await ProcessCluster.start({ nodes });
  const c = cluster;
  const h = new History();
  let i = 0;
  for (const round of [1, 2]) {
    for (const key of KEYS) {
      const p = c.procs[i++ % c.procs.length]!;
      await h.write(0, p.httpAddress, key, `${key}-${round}`, 10_000);
    }
  }
  const acked = h.ops.filter((op) => op.outcome === 'ok').length;
  await Promise.all(c.procs.map((p) => p.kill()));
  if (wipe) await Promise.all(c.ids.map((id) => rm(join(c.dir, id), { recursive: true, force: true })));
  await c.reviveAll();
  await c.waitForLeader(30_000, true);
  for (const p of c.procs) for (const key of KEYS) await h.read(1, p.httpAddress, key, 10_000);
  // SIGTERM stops a server cleanly (exit code 0).
  const cleanExit = await c.procs[0]!.terminate();
  return { h, acked, cleanExit };
}

describe('multi-process: SIGKILL of every process at once', () => {
  it('5 processes: every acknowledged write is read back from every node after the restart', async () => {
    const { h, acked, cleanExit } = await crashAll(5, false);
    expect(acked).toBe(2 * KEYS.length);
    const reads = h.ops.filter((op) => op.kind === 'read');
    expect(reads.every((op) => op.outcome === 'ok')).toBe(true);
    for (const op of reads) expect(op.output).toBe(`${op.key}-2`);
    expect(checkKvDurability(h.ops)).toEqual([]);
    expect(checkLinearizability<KvValue, KvOp>(h.ops, kvModel).result).toBe('ok');
    expect(cleanExit).toBe(true);
  }, 90_000);

  it('3 processes with their data directories wiped: the checks report the lost writes', async () => {
    const { h, acked } = await crashAll(3, true);
    expect(acked).toBe(2 * KEYS.length);
    const lost = checkKvDurability(h.ops).filter((v) => v.kind === 'lost-write');
    expect(lost.length).toBeGreaterThanOrEqual(KEYS.length);
    expect(checkLinearizability<KvValue, KvOp>(h.ops, kvModel).result).toBe('illegal');
  }, 90_000);
});
