/**
 * Sweeps: many seeds (and cluster sizes), each a checked {@link runSim}, with
 * totals for seeds per second, events per second and coverage.
 * @module
 */
import { addCounters, missingCoverage, REQUIRED_COVERAGE } from './counters.js';
import { runSim, passed, type RaftSimResult } from './run.js';
import { scenarioRun, SCENARIO_COVERAGE } from './scenarios.js';

/** Options of {@link sweep}. */
export interface SweepOptions {
  /** The seeds to run. */
  seeds: readonly number[];
  /** Events of each fault phase. @default 5000 */
  steps?: number;
  /** Cluster sizes, each run with every seed. @default [3, 5] */
  sizes?: readonly number[];
  /** The disk model. @default 'memory' */
  storage?: 'memory' | 'file';
  /** What replicas apply (see `RaftSimOptions.kv`). @default 'auto' */
  kv?: 'sim' | 'real' | 'auto';
  /** How nodes persist Readies (see `RaftSimOptions.writes`). @default 'auto' */
  writes?: 'sync' | 'pipelined' | 'auto';
  /** Run this named scenario instead of a swarm-picked plan. */
  scenario?: string;
  /** Print every run's plan. @default false */
  verbose?: boolean;
  /** Called with each failing run. */
  onFailure?: (r: RaftSimResult) => void;
}

/** Totals of a sweep. */
export interface SweepSummary {
  /** Runs made. */
  readonly runs: number;
  /** Runs that failed a check (or a scenario's expectation). */
  readonly failures: number;
  /** The failing results (at most 20 kept). */
  readonly failed: readonly RaftSimResult[];
  /** Events run in total. */
  readonly events: number;
  /** Wall-clock throughput. */
  readonly seedsPerSecond: number;
  /** Wall-clock throughput of the event loop. */
  readonly eventsPerSecond: number;
  /** Summed coverage counters. */
  readonly counters: Readonly<Record<string, number>>;
  /** Required coverage counters that stayed at zero. */
  readonly missing: readonly string[];
}

/** Run every seed on every size; see {@link SweepOptions}. */
export async function sweep(o: SweepOptions): Promise<SweepSummary> {
  const t0 = performance.now();
  const counters: Record<string, number> = {};
  const failed: RaftSimResult[] = [];
  let runs = 0;
  let events = 0;
  let failures = 0;
  for (const nodes of o.sizes ?? [3, 5]) {
    for (const seed of o.seeds) {
      const base = { seed, nodes, steps: o.steps ?? 5000, storage: o.storage ?? 'memory', kv: o.kv ?? 'auto', writes: o.writes ?? 'auto' };
      const { result, ok } = o.scenario !== undefined ? await scenarioRun(o.scenario, base) : await plainRun(base);
      runs++;
      events += result.events;
      addCounters(counters, result.counters);
      if (o.verbose === true) console.log(`seed ${seed} n=${nodes} ${result.plan} → ${ok ? 'ok' : 'FAIL'}`);
      if (!ok) {
        failures++;
        if (failed.length < 20) failed.push(result);
        o.onFailure?.(result);
      }
    }
  }
  const secs = Math.max(1e-9, (performance.now() - t0) / 1000);
  const required = o.scenario !== undefined ? SCENARIO_COVERAGE[o.scenario] ?? [] : REQUIRED_COVERAGE;
  const missing = runs >= 20 ? missingCoverage(counters, required) : [];
  return { runs, failures, failed, events, seedsPerSecond: runs / secs, eventsPerSecond: events / secs, counters, missing };
}

async function plainRun(o: { seed: number; nodes: number; steps: number; storage: 'memory' | 'file'; kv: 'sim' | 'real' | 'auto'; writes: 'sync' | 'pipelined' | 'auto' }): Promise<{ result: RaftSimResult; ok: boolean }> {
  const result = await runSim(o);
  return { result, ok: passed(result) };
}
