/**
 * `npm run sim -- --seeds 1000 --steps 5000 [--nodes 3|5] [--seed N]`:
 * seeded sweeps of the Raft simulator. Prints seeds per second, events per
 * second, violations and coverage counters; a failing seed prints the one
 * command that replays it and writes its result as JSON under sim-failures/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { RaftSim, type RaftSimResult } from '../src/testing/sim/raft-sim.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} expects a number`);
  return v;
}

function failed(r: RaftSimResult): boolean {
  return r.violations.length > 0 || !r.leaderAfterHeal || !r.converged;
}

function main(): void {
  const steps = arg('steps', 5000);
  const nodesArg = arg('nodes', 0);
  const single = arg('seed', -1);
  const seeds = single >= 0 ? [single] : Array.from({ length: arg('seeds', 100) }, (_, i) => i + 1);
  const sizes = nodesArg > 0 ? [nodesArg] : [3, 5];
  const t0 = performance.now();
  let events = 0;
  let failures = 0;
  let runs = 0;
  const counters: Record<string, number> = {};
  for (const nodes of sizes) {
    for (const seed of seeds) {
      const r = new RaftSim({ seed, nodes, steps }).run();
      runs++;
      events += r.events;
      for (const [k, v] of Object.entries(r.counters)) counters[k] = (counters[k] ?? 0) + v;
      if (failed(r)) {
        failures++;
        mkdirSync('sim-failures', { recursive: true });
        const file = `sim-failures/seed-${seed}-n${nodes}.json`;
        writeFileSync(file, JSON.stringify(r, null, 2));
        console.log(`FAIL seed ${seed} (${nodes} nodes): ${r.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ') || `leader=${r.leaderAfterHeal} converged=${r.converged}`}`);
        console.log(`  replay: ${r.replay}   (details: ${file})`);
      }
    }
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`runs ${runs}, ${(runs / secs).toFixed(1)} seeds/s, ${Math.round(events / secs)} events/s, violations ${failures}`);
  console.log(`coverage ${JSON.stringify(counters)}`);
  for (const k of ['leaderChanges', 'logTruncations', 'preVoteRejections', 'crashes', 'snapshotInstalls', 'configChanges']) {
    if ((counters[k] ?? 0) === 0 && runs >= 20) {
      console.log(`coverage counter ${k} stayed at zero: the sweep is not exploring`);
      failures++;
    }
  }
  process.exitCode = failures > 0 ? 1 : 0;
}

main();
