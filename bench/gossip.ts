/**
 * `npm run bench -- gossip [--n=100,1000,10000] [--loss=0,0.05,0.2] [--seeds=30] [--seeds-big=10]
 *  [--scenarios=1,2,...,9] [--time-scale=1] [--jobs=<cores>]`
 *
 * The nine scenarios of the gossip issue on the deterministic simulator,
 * one row per figure with p50 / p99 / max over seeds (and the aim where the
 * issue gives one), plus the simulator's own speed and memory per member.
 * `--time-scale` shortens the long scenarios (slow members, lossy members,
 * partitions, traffic) for quick looks; the default runs them in full.
 * `--jobs` runs the seeds of a cell on that many child processes (default:
 * one a core); a seed's figures do not depend on where it ran.
 *
 * Cost on this 2-core machine (one core a run): N = 100, every scenario,
 * 3 losses, 30 seeds, full length: about 4 minutes, plus 5 minutes for the
 * 2,000-member bootstraps of scenario 9. N = 1,000 costs about 10× that per
 * seed: scenario 4 takes ~8 minutes a share a loss and 2b ~11 minutes a
 * loss, about 2 hours in all. A 10,000-member simulation needs ~3 GB,
 * starts in ~12 s and runs at 0.7 to 2.3 s wall per virtual second. With
 * one job, 5 seeds a cell: a join spreading 41–49 s a cell, one crash
 * 81–161 s, 1% crashing at once ~20 minutes (about 4 minutes a seed). The
 * full default matrix at 10,000 is out of reach: scenario 4 alone is 45 runs
 * of 10 virtual minutes, 5 to 17 hours at those speeds. For the 10,000 figures use e.g.
 * `--n=10000 --scenarios=1,3 --seeds-big=5`. Two jobs save a third to a
 * half of the wall time (two 3 GB simulations share the memory bus).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as S from '../src/gossip/sim-scenarios.js';
import { GossipSim } from '../src/gossip/testing.js';

const here = dirname(fileURLToPath(import.meta.url));

type Row = Record<string, string | number>;

interface Config { ns: number[]; losses: number[]; seeds: number; seedsBig: number; scenarios: Set<number>; scale: number; jobs: number }

function parse(args: string[]): Config {
  const get = (k: string) => args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const list = (k: string, d: number[]) => (get(k)?.split(',').map(Number) ?? d);
  return {
    ns: list('n', [100, 1000, 10_000]),
    losses: list('loss', [0, 0.05, 0.2]),
    seeds: Number(get('seeds') ?? 30),
    seedsBig: Number(get('seeds-big') ?? 10),
    scenarios: new Set(list('scenarios', [1, 2, 3, 4, 5, 6, 7, 8, 9])),
    scale: Number(get('time-scale') ?? 1),
    jobs: Math.max(1, Number(get('jobs') ?? availableParallelism())),
  };
}

const r0 = (x: number) => (Number.isFinite(x) ? Math.round(x) : 'n/a');

function stats(xs: number[]): { p50: number | string; p99: number | string; max: number | string } {
  return { p50: r0(S.percentile(xs, 0.5)), p99: r0(S.percentile(xs, 0.99)), max: r0(xs.reduce((a, b) => Math.max(a, b), -Infinity)) };
}

/** The figures of one seed of one cell. */
type SeedResult = Record<string, number | number[]>;

/** What a worker needs to run one seed of one cell: everything is plain data. */
export interface SeedJob { kind: string; n: number; loss: number; seed: number; scale: number; arg: number; encrypted?: boolean }

/**
 * One seed of each kind of cell, by name, so a worker process can run it
 * from a {@link SeedJob} (closures do not cross processes).
 */
export const SEED_RUNS: Record<string, (j: SeedJob) => SeedResult> = {
  join: (j) => {
    const r = S.joinSpread({ ...params(j), member: { pushPullIntervalMs: 0 } });
    return { t99_ms: r.t99, t100_ms: r.t100, reached_all: r.reachedAll ? 1 : 0 };
  },
  broadcast: (j) => {
    const r = S.userBroadcast(params(j));
    return { delivered: r.delivered, t_all_ms: r.tAll };
  },
  burst: (j) => {
    const r = S.updateBurst(params(j), 1000, Math.max(1000, 5000 * j.scale));
    return { delivered: r.delivered, staleness_ms: r.staleness };
  },
  crash: (j) => {
    const r = S.crash(params(j), Math.max(1, Math.round(j.n * j.arg)));
    return { first_suspect_ms: r.firstSuspect, all_dead_ms: r.allDead };
  },
  slow: (j) => {
    const r = S.slowMembers(params(j), j.arg, 600_000 * j.scale);
    return { false_positives: r.falsePositives, flaps: r.flaps, slow_declared_dead: r.slowDeclaredDead };
  },
  lossy: (j) => {
    const r = S.lossyMembers(params(j), j.arg === 0 ? 'ingress' : 'oneway', 120_000 * j.scale);
    return { removed_at_ms: r.removedAt, returns_per_observer: r.oscillations, false_positives: r.falsePositives };
  },
  restart: (j) => ({ stuck_dead: S.massRestart(params(j)).stuckDead }),
  partition: (j) => ({ heal_ms: S.partitionHeal(params(j), 300_000 * j.scale).healMs }),
  // arg: churn period in ms (0: none).
  traffic: (j) => {
    const r = S.traffic({ ...params(j), encrypted: j.encrypted === true }, 60_000 * j.scale, j.arg);
    return { bytes_per_member_s: r.bytesPerSec, msgs_per_member_s: r.msgsPerSec };
  },
  bootstrap: (j) => ({ after_last_start_ms: S.bootstrap({ n: j.n, loss: j.loss, seed: j.seed }).allSeeAll }),
};

function params(j: SeedJob): { n: number; loss: number; seed: string } {
  return { n: j.n, loss: j.loss, seed: `${j.n}-${j.loss}-${j.seed}` };
}

/** Run one seed job, in this process. */
export function runSeed(j: SeedJob): SeedResult {
  const f = SEED_RUNS[j.kind];
  if (f === undefined) throw new Error(`Unknown gossip bench job kind ${j.kind}`);
  return f(j);
}

/**
 * Runs seed jobs on `size` child processes (bench/_gossip-worker.ts), or in
 * this process when `size` is 1. Seeds are independent and deterministic,
 * so the figures do not depend on how many processes ran them.
 */
export class SeedPool {
  private readonly idle: ChildProcess[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly all: ChildProcess[] = [];

  constructor(private readonly size: number) {}

  /** Run `job` on an idle worker (waiting for one if all are busy). */
  async run(job: SeedJob): Promise<SeedResult> {
    if (this.size <= 1) return runSeed(job);
    const child = await this.acquire();
    try {
      return await new Promise<SeedResult>((resolve, reject) => {
        const onExit = (code: number | null): void => reject(new Error(`gossip bench worker exited (${code}) running ${JSON.stringify(job)}`));
        child.once('exit', onExit);
        child.once('message', (m: { ok: boolean; result?: SeedResult; error?: string }) => {
          child.off('exit', onExit);
          if (m.ok) resolve(m.result!);
          else reject(new Error(m.error));
        });
        child.send(job);
      });
    } finally {
      this.release(child);
    }
  }

  /** Stop the worker processes. */
  close(): void {
    for (const c of this.all) c.kill();
  }

  private async acquire(): Promise<ChildProcess> {
    for (;;) {
      const c = this.idle.pop();
      if (c !== undefined) return c;
      if (this.all.length < this.size) {
        // tsx's loader, also when the parent runs under another TypeScript runner (a test).
        const child = fork(join(here, '_gossip-worker.ts'), [], { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
        this.all.push(child);
        return child;
      }
      await new Promise<void>((r) => this.waiting.push(r));
    }
  }

  private release(c: ChildProcess): void {
    this.idle.push(c);
    this.waiting.shift()?.();
  }
}

/** Run `kind` for each seed (on the pool) and add a row per named figure. */
async function cell(
  rows: Row[], pool: SeedPool, scenario: string, job: Omit<SeedJob, 'seed'>, seeds: number, aims: Record<string, string> = {},
): Promise<void> {
  const t = performance.now();
  const results = await Promise.all(Array.from({ length: seeds }, (_, i) => pool.run({ ...job, seed: i + 1 })));
  const acc = new Map<string, number[]>();
  for (const res of results) {
    for (const [k, v] of Object.entries(res)) {
      let xs = acc.get(k);
      if (xs === undefined) acc.set(k, (xs = []));
      if (Array.isArray(v)) for (const x of v) xs.push(x);
      else xs.push(v);
    }
  }
  const wall = (performance.now() - t) / 1000;
  const { n, loss } = job;
  for (const [metric, xs] of acc) {
    const valid = xs.filter((x) => x >= 0);
    const mean = valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN;
    rows.push({
      scenario, n, loss, seeds, metric, ...stats(valid), mean: Number.isFinite(mean) ? Number(mean.toFixed(3)) : 'n/a',
      failed: xs.length - valid.length, aim: aims[metric] ?? '', wall_s: Number(wall.toFixed(1)),
    });
  }
  // Each cell's figures as they come, so a long run that is cut short still says something.
  const mine = rows.slice(rows.length - acc.size);
  console.error(`[gossip bench] ${scenario} n=${n} loss=${loss} seeds=${seeds}: ${wall.toFixed(1)} s; ${mine.map((r) => `${r.metric} p50/p99/max=${r.p50}/${r.p99}/${r.max}`).join('; ')}`);
}

function joinAim(n: number): string {
  return n <= 100 ? '100% ≤ 2.4 s at 20%' : n <= 1000 ? '100% ≤ 2.8 s at 20%' : '100% ≤ 3.2 s at 20%';
}

/** The simulator's speed and memory at N members (5 virtual seconds of steady state). */
function simulatorRow(n: number): Row {
  // Typed-array tables live outside the JS heap: count both.
  const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
  globalThis.gc?.();
  const h0 = used();
  const sim = new GossipSim({ seed: 1 });
  sim.addMany(n);
  const t = performance.now();
  const e0 = sim.loop.eventsRun;
  sim.run(5000);
  const wall = (performance.now() - t) / 1000;
  globalThis.gc?.();
  const bytes = used() - h0;
  return { scenario: '0 simulator', n, loss: 0, seeds: 1, metric: 'events/s | bytes/member', p50: Math.round((sim.loop.eventsRun - e0) / wall), p99: '', max: '', mean: Math.round(bytes / n), failed: 0, aim: '', wall_s: Number(wall.toFixed(1)) };
}

/** Every scenario cell for one N and loss. */
async function runCells(rows: Row[], pool: SeedPool, c: Config, n: number, loss: number): Promise<void> {
  const seeds = n >= 10_000 ? c.seedsBig : c.seeds;
  const base = { n, loss, scale: c.scale, arg: 0 };
  const has = (k: number) => c.scenarios.has(k);
  if (has(1)) await cell(rows, pool, '1 join spread (no anti-entropy)', { ...base, kind: 'join' }, seeds, { t100_ms: joinAim(n), reached_all: 'mean 1' });
  if (has(2)) {
    await cell(rows, pool, '2a user broadcast', { ...base, kind: 'broadcast' }, seeds);
    await cell(rows, pool, '2b 1000 updates/s burst', { ...base, kind: 'burst' }, Math.min(seeds, 5));
  }
  if (has(3)) {
    const aims = { first_suspect_ms: 'p50 ≤ 1600', all_dead_ms: 'p50 ≤ 8000, p99 ≤ 2×p50' };
    await cell(rows, pool, '3a one crash', { ...base, kind: 'crash', arg: 1 / n }, seeds, aims);
    await cell(rows, pool, '3b 1% crash at once', { ...base, kind: 'crash', arg: 0.01 }, seeds, aims);
  }
  if (has(4)) for (const share of [0.01, 0.05, 0.1]) {
    await cell(rows, pool, `4 ${share * 100}% slow members`, { ...base, kind: 'slow', arg: share }, Math.min(seeds, 5), { false_positives: '0' });
  }
  if (has(5)) for (const mode of [0, 1]) {
    await cell(rows, pool, `5 1% ${mode === 0 ? '80% ingress loss' : 'one-way loss 20s/20s'}`, { ...base, kind: 'lossy', arg: mode }, Math.min(seeds, 5));
  }
  if (has(6)) await cell(rows, pool, '6 50% restart within 10 s', { ...base, kind: 'restart' }, Math.min(seeds, 10), { stuck_dead: '0' });
  if (has(7)) await cell(rows, pool, '7 50/50 partition 5 min, healed', { ...base, kind: 'partition' }, Math.min(seeds, 5), { heal_ms: '≤ 2 anti-entropy periods (60000)' });
  // Plain packets (the default, and memberlist's, to compare like with like), then with the keyring's 29 bytes a packet.
  if (has(8)) for (const [churn, encrypted] of [[0, false], [1000, false], [0, true], [1000, true]] as const) {
    const name = `8 ${churn ? 'churn (a restart every 1 s)' : 'steady state'}${encrypted ? ', encrypted' : ''}`;
    await cell(rows, pool, name, { ...base, kind: 'traffic', arg: churn, encrypted }, Math.min(seeds, 3),
      n === 1000 ? { bytes_per_member_s: 'mean ≤ 640' } : {});
  }
}

/** The bench entry point. */
export async function run(args: string[]): Promise<Row[]> {
  const c = parse(args);
  const rows: Row[] = [];
  for (const n of c.ns) rows.push(simulatorRow(n));
  const pool = new SeedPool(c.jobs);
  try {
    for (const n of c.ns) for (const loss of c.losses) await runCells(rows, pool, c, n, loss);
    if (c.scenarios.has(9)) for (const loss of c.losses) {
      await cell(rows, pool, '9 bootstrap 2000 from one seed in 10 s', { kind: 'bootstrap', n: 2000, loss, scale: c.scale, arg: 0 }, Math.min(c.seeds, 5), { after_last_start_ms: '< 10000' });
    }
  } finally {
    pool.close();
  }
  return rows;
}
