/**
 * `npm run soak -- --minutes 30 [--nodes 5] [--seed N] [--clients C] [--keys K]`:
 * the long version of the multi-process smoke test. Server processes
 * (`examples/kv-server.ts`, TCP + FileStorage) are SIGKILLed and restarted,
 * paused past the election timeout and partitioned by proxies while clients
 * read and write over HTTP. The run is split into rounds of a few minutes
 * (a fresh cluster each, so every history stays small enough to check);
 * each round's history is checked for linearizability and lost writes.
 * Prints kills, pauses, partitions, operations and lost writes; exits 1 on
 * any violation.
 */
import { runScenario, type ScenarioReport } from '../test/multiprocess/scenario.js';

function flag(args: readonly string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`Expected --${name} <number>, got ${JSON.stringify(args[i + 1])}`);
  return v;
}

/** Run the soak; resolves with the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const minutes = flag(args, 'minutes', 30);
  const nodes = flag(args, 'nodes', 3);
  const roundMinutes = Math.min(minutes, flag(args, 'round-minutes', 5));
  let seed = flag(args, 'seed', Date.now() % 1_000_000);
  const totalMs = minutes * 60_000;
  const t0 = performance.now();
  const reports: ScenarioReport[] = [];
  const stamp = (): string => `[${((performance.now() - t0) / 60_000).toFixed(1)} min]`;
  console.log(`soak: ${nodes} processes for ${minutes} min, rounds of ${roundMinutes} min, first seed ${seed}`);
  while (performance.now() - t0 < totalMs) {
    const left = totalMs - (performance.now() - t0);
    const r = await runScenario({
      nodes,
      durationMs: Math.max(10_000, Math.min(roundMinutes * 60_000, left)),
      seed,
      clients: flag(args, 'clients', 4),
      keys: flag(args, 'keys', 16),
      log: (l) => console.log(`${stamp()} ${l}`),
    });
    reports.push(r);
    console.log(`${stamp()} round seed ${seed}: ${r.operations} ops, ${r.ackedWrites} acked writes, ${r.kills} kills, ${r.pauses} pauses, ${r.partitions} partitions, ${r.delays} delays; linearizable: ${r.linearizable}; lost writes: ${r.lostWrites}`);
    if (r.details) console.log(r.details);
    seed++;
  }
  const sum = (f: (r: ScenarioReport) => number): number => reports.reduce((a, r) => a + f(r), 0);
  const bad = reports.filter((r) => r.linearizable === 'illegal' || r.violations.length > 0);
  const unknown = reports.filter((r) => r.linearizable === 'unknown').length;
  console.log('\nsoak summary');
  console.log(`  processes:        ${nodes}`);
  console.log(`  minutes:          ${((performance.now() - t0) / 60_000).toFixed(1)} (${reports.length} rounds)`);
  console.log(`  kills (-9):       ${sum((r) => r.kills)} (each restarted on its data directory)`);
  console.log(`  pauses (STOP):    ${sum((r) => r.pauses)}`);
  console.log(`  partitions:       ${sum((r) => r.partitions)}`);
  console.log(`  link delays:      ${sum((r) => r.delays)}`);
  console.log(`  operations:       ${sum((r) => r.operations)} (${sum((r) => r.ackedWrites)} acknowledged writes)`);
  console.log(`  lost writes:      ${sum((r) => r.lostWrites)}`);
  console.log(`  other violations: ${sum((r) => r.violations.length - r.lostWrites)}`);
  const count = (v: string): number => reports.filter((r) => r.linearizable === v).length;
  console.log(`  linearizable:     ${count('ok')} rounds ok, ${count('illegal')} illegal, ${unknown} unknown (search budget)`);
  return bad.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
