/**
 * KvClient histories under partitions, checked for linearizability: clients
 * on every node read, write, compare-and-set and delete a few keys while the
 * leader is cut off and nodes are isolated, all on virtual time.
 */
import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../src/errors.js';
import type { KvClient } from '../../src/kv/client.js';
import { checkLinearizability, formatCheckResult, kvModel, type KvOp, type KvValue } from '../../src/testing/linearizability/index.js';
import { createPrng, type Prng } from '../../src/util/prng.js';
import { KvCluster } from './kv-cluster.js';
import { s } from './helpers.js';

const KEYS = ['x', 'y', 'z'];

type Planned = { kind: KvOp['kind']; input?: unknown; run: () => Promise<unknown> };

/** Choose an operation: its kind and input for the history, and how to run it (resolving with its output). */
function plan(k: KvClient, rng: Prng, key: string, value: string, written: readonly string[]): Planned {
  const roll = rng.int(10);
  const enc = (v: string) => new TextEncoder().encode(v);
  if (roll < 4) return { kind: 'read', run: async () => ((kv) => (kv === null ? null : s(kv.value)!))(await k.get(key)) };
  if (roll < 7) return { kind: 'write', input: value, run: async () => void (await k.put(key, value)) };
  if (roll < 9) {
    const expected: KvValue = rng.int(3) === 0 || written.length === 0 ? null : written[rng.int(written.length)]!;
    const compare = expected === null ? { key, target: 'createRevision' as const, op: '=' as const, value: 0 } : { key, target: 'value' as const, op: '=' as const, value: enc(String(expected)) };
    return { kind: 'cas', input: { expected, value }, run: async () => (await k.txn({ compare: [compare], success: [{ type: 'put', key, value: enc(value) }], failure: [] })).succeeded };
  }
  return { kind: 'delete', run: async () => void (await k.delete(key)) };
}

/** Run one operation; returns the history entry. */
async function operate(k: KvClient, rng: Prng, client: number, n: number, now: () => number, written: string[]): Promise<KvOp> {
  const key = KEYS[rng.int(KEYS.length)]!;
  const value = `c${client}-${n}`;
  const p = plan(k, rng, key, value, written);
  if (p.kind === 'write' || p.kind === 'cas') written.push(value);
  const base = { client, key, call: now(), kind: p.kind, ...(p.input === undefined ? {} : { input: p.input }) };
  try {
    const output = await p.run();
    return { ...base, ...(output === undefined ? {} : { output }), return: now(), outcome: 'ok' } as KvOp;
  } catch (e) {
    // Definite: it had no effect. Otherwise it may have applied at any time after the call.
    return { ...base, outcome: isQuorumkitError(e) && e.definite === true ? 'fail' : 'info' } as KvOp;
  }
}

async function history(seed: number): Promise<KvOp[]> {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const c = new KvCluster(ids, [], seed);
  await c.start();
  const leader = await c.waitForLeader();
  const rng = createPrng(seed);
  const ops: KvOp[] = [];
  const written: string[] = [];
  const now = () => c.loop.now;
  const sleep = (ms: number) => new Promise<void>((r) => c.clock.setTimeout(r, ms));
  let running = 0;
  const clientLoop = async (client: number) => {
    running++;
    const k = c.client(ids[client % ids.length]!);
    for (let n = 0; n < 25; n++) {
      ops.push(await operate(k, rng, client, n, now, written));
      await sleep(1 + rng.int(40));
    }
    running--;
  };
  const faults = async () => {
    await sleep(200);
    c.net.partition([leader.id, ids.find((x) => x !== leader.id)!], ids.filter((x) => x !== leader.id).slice(1));
    await sleep(1200);
    c.net.heal();
    await sleep(600);
    c.net.isolate(ids[seed % ids.length]!);
    await sleep(800);
    c.net.heal();
  };
  const all = Promise.all([...Array.from({ length: 6 }, (_, i) => clientLoop(i)), faults()]);
  await c.loop.runUntilTrueAsync(() => running === 0, 60_000);
  await c.settle(all);
  await c.stopAll();
  return ops;
}

describe('KvClient histories are linearizable under partitions', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}`, async () => {
      const ops = await history(seed);
      expect(ops.length).toBe(150);
      expect(ops.filter((o) => o.outcome === 'ok').length).toBeGreaterThan(60);
      // The partition must have made some operations fail, or the test would show nothing.
      expect(ops.some((o) => o.outcome !== 'ok')).toBe(true);
      const r = checkLinearizability(ops, kvModel);
      if (r.result !== 'ok') throw new Error(formatCheckResult(r));
      expect(r.result).toBe('ok');
    });
  }
});
