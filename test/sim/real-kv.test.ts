import { describe, expect, it } from 'vitest';
import { runSim, passed, type RaftSimResult } from '../../src/testing/sim/run.js';
import { scenarioRun } from '../../src/testing/sim/scenarios.js';

function explain(r: RaftSimResult): string {
  return `${r.plan}\n${r.violations.slice(0, 3).map((v) => `${v.invariant}: ${v.detail}`).join('\n')}\nleader=${r.leaderAfterHeal} converged=${r.converged} settled=${r.settled} linearizable=${r.linearizable}\n  replay: ${r.replay}`;
}

describe('RaftSim on the real KvStateMachine (with the node table)', () => {
  it('24 seeds × 3 and 5 nodes: every check passes, and every kind of operation and outcome occurs', async () => {
    const kinds = new Set<string>();
    let ok = 0;
    let snapshots = 0;
    for (const nodes of [3, 5]) {
      for (let seed = 1; seed <= 24; seed++) {
        const r = await runSim({ seed, nodes, steps: 5000, kv: 'real' });
        expect(passed(r), explain(r)).toBe(true);
        expect(r.kv).toBe('real');
        expect(r.replay).toContain('--kv real');
        for (const op of [...r.history, ...r.memberHistory]) kinds.add(`${op.kind}:${op.outcome}`);
        ok += r.acked;
        snapshots += (r.counters.snapshotInstalls ?? 0) + (r.counters.snapshots ?? 0);
      }
    }
    for (const k of ['read', 'write', 'cas', 'delete', 'register', 'setAvailability', 'readNode']) expect(kinds, k).toContain(`${k}:ok`);
    expect(kinds).toContain('write:info');
    expect(ok).toBeGreaterThan(500);
    expect(snapshots).toBeGreaterThan(0);
  });

  it('CAS both ways: some swap and some do not, by value and by mod revision alike', async () => {
    const r = await runSim({ seed: 3, nodes: 3, steps: 5000, kv: 'real', plan: { faults: [] }, adminEveryMs: 0 });
    const cas = r.history.filter((op) => op.kind === 'cas' && op.outcome === 'ok');
    expect(passed(r), explain(r)).toBe(true);
    expect(cas.some((op) => op.output === true)).toBe(true);
    expect(cas.some((op) => op.output === false)).toBe(true);
  });

  it('a write retried after a timeout reuses its session and sequence number and takes effect once', async () => {
    // The client-retry scenario: short timeouts, so writes that did commit are retried; the session answers the retry.
    let deduped = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { result, ok } = await scenarioRun('client-retry', { seed, nodes: 3, steps: 5000, kv: 'real' });
      expect(ok, explain(result)).toBe(true);
      expect(result.violations.filter((v) => v.invariant === 'one-effect')).toEqual([]);
      deduped += result.counters.dedupedRetries ?? 0;
    }
    expect(deduped).toBeGreaterThan(0);
  });

  it('one seed replays one real-KV run exactly, down to the trace hash', async () => {
    const a = await runSim({ seed: 11, nodes: 5, steps: 3000, kv: 'real' });
    const b = await runSim({ seed: 11, nodes: 5, steps: 3000, kv: 'real' });
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.memberHistory).toEqual(a.memberHistory);
    const c = await runSim({ seed: 11, nodes: 5, steps: 3000, kv: 'sim' });
    expect(c.traceHash).not.toBe(a.traceHash);
    expect(c.memberHistory).toEqual([]);
  });

  it('auto picks the real KV in about a quarter of the seeds, from its own stream', async () => {
    let real = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = await runSim({ seed, nodes: 3, steps: 200 });
      if (r.kv === 'real') real++;
      expect(r.plan).toContain(`kv=${r.kv}`);
    }
    expect(real).toBeGreaterThan(3);
    expect(real).toBeLessThan(20);
  });
});
