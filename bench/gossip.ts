/**
 * `npm run bench -- gossip [--n=100,1000,10000] [--loss=0,0.05,0.2] [--seeds=30] [--seeds-big=10]
 *  [--scenarios=1,2,...,9] [--time-scale=1]`
 *
 * The nine scenarios of the gossip issue on the deterministic simulator,
 * one row per figure with p50 / p99 / max over seeds (and the aim where the
 * issue gives one), plus the simulator's own speed and memory per member.
 * `--time-scale` shortens the long scenarios (slow members, lossy members,
 * partitions, traffic) for quick looks; the default runs them in full.
 *
 * Cost on this 2-core machine (one core a run): N = 100, every scenario,
 * 3 losses, 30 seeds, full length: about 4 minutes, plus 5 minutes for the
 * 2,000-member bootstraps of scenario 9. N = 1,000 costs about 10× that per
 * seed: scenario 4 takes ~8 minutes a share a loss and 2b ~11 minutes a
 * loss, about 2 hours in all. A 10,000-member simulation needs ~3 GB,
 * starts in ~16 s and runs at 1 to 3 s wall per virtual second (one crash:
 * ~15–50 s a seed; 1% crashing at once: 200–370 s a seed), so the full
 * default matrix at 10,000 would take an estimated 17 hours (scenario 4
 * alone: 45 runs of 10 virtual minutes). For the 10,000 figures use e.g.
 * `--n=10000 --scenarios=1,3 --seeds-big=2`.
 */
import * as S from '../src/gossip/sim-scenarios.js';
import { GossipSim } from '../src/gossip/testing.js';

type Row = Record<string, string | number>;

interface Config { ns: number[]; losses: number[]; seeds: number; seedsBig: number; scenarios: Set<number>; scale: number }

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
  };
}

const r0 = (x: number) => (Number.isFinite(x) ? Math.round(x) : 'n/a');

function stats(xs: number[]): { p50: number | string; p99: number | string; max: number | string } {
  return { p50: r0(S.percentile(xs, 0.5)), p99: r0(S.percentile(xs, 0.99)), max: r0(xs.reduce((a, b) => Math.max(a, b), -Infinity)) };
}

/** Run `fn` for each seed and return a row per named figure. */
function cell(
  rows: Row[], scenario: string, n: number, loss: number, seeds: number,
  fn: (seed: number) => Record<string, number | number[]>, aims: Record<string, string> = {},
): void {
  const t = performance.now();
  const acc = new Map<string, number[]>();
  for (let s = 1; s <= seeds; s++) {
    for (const [k, v] of Object.entries(fn(s))) {
      let xs = acc.get(k);
      if (xs === undefined) acc.set(k, (xs = []));
      if (Array.isArray(v)) for (const x of v) xs.push(x);
      else xs.push(v);
    }
  }
  const wall = (performance.now() - t) / 1000;
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
function runCells(rows: Row[], c: Config, n: number, loss: number): void {
  const seeds = n >= 10_000 ? c.seedsBig : c.seeds;
  const sc = c.scale;
  const p = (seed: number) => ({ n, loss, seed: `${n}-${loss}-${seed}` });
  if (c.scenarios.has(1)) cell(rows, '1 join spread (no anti-entropy)', n, loss, seeds, (s) => {
    const r = S.joinSpread({ ...p(s), member: { pushPullIntervalMs: 0 } });
    return { t99_ms: r.t99, t100_ms: r.t100, reached_all: r.reachedAll ? 1 : 0 };
  }, { t100_ms: joinAim(n), reached_all: 'mean 1' });
  if (c.scenarios.has(2)) {
    cell(rows, '2a user broadcast', n, loss, seeds, (s) => {
      const r = S.userBroadcast(p(s));
      return { delivered: r.delivered, t_all_ms: r.tAll };
    });
    cell(rows, '2b 1000 updates/s burst', n, loss, Math.min(seeds, 5), (s) => {
      const r = S.updateBurst(p(s), 1000, Math.max(1000, 5000 * sc));
      return { delivered: r.delivered, staleness_ms: r.staleness };
    });
  }
  if (c.scenarios.has(3)) {
    const aims = { first_suspect_ms: 'p50 ≤ 1600', all_dead_ms: 'p50 ≤ 8000, p99 ≤ 2×p50' };
    cell(rows, '3a one crash', n, loss, seeds, (s) => {
      const r = S.crash(p(s), 1);
      return { first_suspect_ms: r.firstSuspect, all_dead_ms: r.allDead };
    }, aims);
    cell(rows, '3b 1% crash at once', n, loss, seeds, (s) => {
      const r = S.crash(p(s), Math.max(1, Math.round(n / 100)));
      return { first_suspect_ms: r.firstSuspect, all_dead_ms: r.allDead };
    }, aims);
  }
  if (c.scenarios.has(4)) for (const share of [0.01, 0.05, 0.1]) {
    cell(rows, `4 ${share * 100}% slow members`, n, loss, Math.min(seeds, 5), (s) => {
      const r = S.slowMembers(p(s), share, 600_000 * sc);
      return { false_positives: r.falsePositives, flaps: r.flaps, slow_declared_dead: r.slowDeclaredDead };
    }, { false_positives: '0' });
  }
  if (c.scenarios.has(5)) for (const mode of ['ingress', 'oneway'] as const) {
    cell(rows, `5 1% ${mode === 'ingress' ? '80% ingress loss' : 'one-way loss 20s/20s'}`, n, loss, Math.min(seeds, 5), (s) => {
      const r = S.lossyMembers(p(s), mode, 120_000 * sc);
      return { removed_at_ms: r.removedAt, returns_per_observer: r.oscillations, false_positives: r.falsePositives };
    });
  }
  if (c.scenarios.has(6)) cell(rows, '6 50% restart within 10 s', n, loss, Math.min(seeds, 10), (s) => ({ stuck_dead: S.massRestart(p(s)).stuckDead }), { stuck_dead: '0' });
  if (c.scenarios.has(7)) cell(rows, '7 50/50 partition 5 min, healed', n, loss, Math.min(seeds, 5), (s) => ({ heal_ms: S.partitionHeal(p(s), 300_000 * sc).healMs }), { heal_ms: '≤ 2 anti-entropy periods (60000)' });
  // Plain packets (the default, and memberlist's, to compare like with like), then with the keyring's 29 bytes a packet.
  if (c.scenarios.has(8)) for (const [churn, encrypted] of [[0, false], [1000, false], [0, true], [1000, true]] as const) {
    const name = `8 ${churn ? 'churn (a restart every 1 s)' : 'steady state'}${encrypted ? ', encrypted' : ''}`;
    cell(rows, name, n, loss, Math.min(seeds, 3), (s) => {
      const r = S.traffic({ ...p(s), encrypted }, 60_000 * sc, churn);
      return { bytes_per_member_s: r.bytesPerSec, msgs_per_member_s: r.msgsPerSec };
    }, n === 1000 ? { bytes_per_member_s: 'mean ≤ 640' } : {});
  }
}

/** The bench entry point. */
export async function run(args: string[]): Promise<Row[]> {
  const c = parse(args);
  const rows: Row[] = [];
  for (const n of c.ns) rows.push(simulatorRow(n));
  for (const n of c.ns) for (const loss of c.losses) runCells(rows, c, n, loss);
  if (c.scenarios.has(9)) for (const loss of c.losses) {
    cell(rows, '9 bootstrap 2000 from one seed in 10 s', 2000, loss, Math.min(c.seeds, 5), (s) => ({ after_last_start_ms: S.bootstrap({ n: 2000, loss, seed: s }).allSeeAll }), { after_last_start_ms: '< 10000' });
  }
  return rows;
}
