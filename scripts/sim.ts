/**
 * `npm run sim -- --gossip --seeds 1000 [--first 1]`: the same for the gossip
 * simulator (crashes, restarts, partitions, pauses, leaves, then a heal;
 * incarnations monotonic, views converged), one line per failing seed.
 *
 * `npm run sim -- --seeds 1000 [--first 1] --steps 5000 [--nodes 3|5] [--seed N] [--scenario NAME] [--storage file] [--kv sim|real] [--writes sync|pipelined]`:
 * seeded sweeps of the Raft simulator. Prints each failing seed's fault plan
 * and the one command that replays it (its result, trace and history go to
 * sim-failures/ as JSON), then seeds per second, events per second,
 * violations and coverage counters. A sweep whose coverage counters stay at
 * zero fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { sweep, type SweepOptions } from '../src/testing/sim/sweep.js';
import { SCENARIO_NAMES } from '../src/testing/sim/scenarios.js';
import { gossipSweepSeed } from '../src/gossip/sim-sweep.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function num(name: string, def: number): number {
  const v = arg(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got ${v}`);
  return n;
}

/** `--seed N` alone, or `--seeds` of them from `--first`. */
function seedList(single: number): number[] {
  return single >= 0 ? [single] : Array.from({ length: num('seeds', 100) }, (_, i) => i + num('first', 1));
}

/** `--gossip`: sweep the gossip simulator's seeds. */
function gossipSweep(): void {
  const single = num('seed', -1);
  const seeds = seedList(single);
  const t0 = performance.now();
  let failures = 0;
  for (const seed of seeds) {
    const r = gossipSweepSeed(seed);
    if (single >= 0) console.log(r.plan.join('\n'));
    if (r.violations.length === 0) continue;
    failures++;
    console.log(`FAIL gossip seed ${seed}: ${r.violations.slice(0, 3).join('; ').slice(0, 500)}`);
    console.log(`  ${r.plan.join(' | ')}`);
    console.log(`  replay: npm run sim -- --gossip --seed ${seed}`);
  }
  console.log(`gossip seeds ${seeds.length}, ${(seeds.length / ((performance.now() - t0) / 1000)).toFixed(1)} seeds/s, failures ${failures}`);
  process.exitCode = failures > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  if (process.argv.includes('--gossip')) return gossipSweep();
  const scenario = arg('scenario');
  if (scenario !== undefined && !(SCENARIO_NAMES as readonly string[]).includes(scenario)) throw new Error(`--scenario: expected one of ${SCENARIO_NAMES.join(', ')}, got ${scenario}`);
  const single = num('seed', -1);
  const o: SweepOptions = {
    seeds: seedList(single),
    steps: num('steps', 5000),
    sizes: num('nodes', 0) > 0 ? [num('nodes', 0)] : [3, 5],
    storage: arg('storage') === 'file' ? 'file' : 'memory',
    kv: arg('kv') === 'real' ? 'real' : arg('kv') === 'sim' ? 'sim' : 'auto',
    writes: arg('writes') === 'sync' ? 'sync' : arg('writes') === 'pipelined' ? 'pipelined' : 'auto',
    ...(scenario !== undefined ? { scenario } : {}),
    verbose: single >= 0,
    onFailure: (r) => {
      mkdirSync('sim-failures', { recursive: true });
      const file = `sim-failures/seed-${r.seed}.json`;
      writeFileSync(file, JSON.stringify(r, null, 2));
      console.log(`FAIL seed ${r.seed}: ${r.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ').slice(0, 500) || `leader=${r.leaderAfterHeal} converged=${r.converged} settled=${r.settled}`}`);
      console.log(`  ${r.plan}`);
      console.log(`  replay: ${r.replay}   (trace and history: ${file})`);
    },
  };
  const s = await sweep(o);
  console.log(`runs ${s.runs}, ${s.seedsPerSecond.toFixed(1)} seeds/s, ${Math.round(s.eventsPerSecond)} events/s, failures ${s.failures}`);
  console.log(`coverage ${JSON.stringify(s.counters)}`);
  if (s.missing.length > 0) console.log(`coverage counters that stayed at zero (the sweep is not exploring): ${s.missing.join(', ')}`);
  process.exitCode = s.failures > 0 || s.missing.length > 0 ? 1 : 0;
}

await main();
