/**
 * CI smoke of the multi-process harness: three `examples/kv-server.ts`
 * processes on TCP + FileStorage, clients over HTTP, and every fault kind
 * (SIGKILL + restart, SIGSTOP/SIGCONT past the election timeout, a proxy
 * partition, link delay). Asserts outcomes only: the history is
 * linearizable and no acknowledged write is lost. `npm run soak` runs the long version.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario.js';

const seed = Number(process.env.QK_MP_SEED ?? Date.now() % 100_000);

describe('multi-process smoke (3 processes)', () => {
  it('survives kills, pauses, partitions and delays with a linearizable history and no lost write', async () => {
    const lines: string[] = [];
    const r = await runScenario({ nodes: 3, durationMs: 30_000, seed, faultGapMs: 1200, log: (l) => lines.push(l) });
    const context = `seed ${seed} (QK_MP_SEED=${seed} to rerun)\n${lines.join('\n')}\n${r.details}`;
    expect(r.kills, context).toBeGreaterThanOrEqual(1);
    expect(r.pauses, context).toBeGreaterThanOrEqual(1);
    expect(r.partitions, context).toBeGreaterThanOrEqual(1);
    expect(r.ackedWrites, context).toBeGreaterThan(20);
    expect(r.finalReads, context).toBe(3 * 8);
    expect(r.violations, context).toEqual([]);
    expect(r.linearizable, context).toBe('ok');
  }, 120_000);
});
