/** The closed-loop client load every Raft-over-TCP bench row uses. */
import type { RaftNode } from '../src/raft/node.js';

/**
 * Timing for every bench cluster: the machine is shared (load averages of 6-8
 * on 2 cores), and a process starved past the default 150 ms election
 * timeout deposed a healthy leader mid-run. Steady-state throughput does not
 * depend on it (heartbeats keep their default interval).
 */
export const BENCH_TIMING = { electionTimeoutMs: 1000 } as const;

/** Commits of a run, with latencies (ms, sorted) and the wall time it took. */
export interface LoadResult {
  readonly latencies: number[];
  readonly seconds: number;
  readonly rate: number;
  percentile(p: number): number;
}

/**
 * Run `clients` closed-loop clients (64-byte commands) against `leader` for
 * `ms`. With `thinkMs` > 0 each client waits a random 0…2 × thinkMs after
 * each commit (arrivals spread out, as clients behind a network are); 0 =
 * back to back, the figures.
 */
export async function closedLoad(leader: RaftNode<number>, clients: number, ms: number, thinkMs = 0): Promise<LoadResult> {
  const cmd = new Uint8Array(64).fill(7);
  const latencies: number[] = [];
  const end = performance.now() + ms;
  const client = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      await leader.propose(cmd);
      latencies.push(performance.now() - t);
      if (thinkMs > 0) await new Promise((r) => setTimeout(r, Math.random() * 2 * thinkMs));
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { latencies, seconds, rate: latencies.length / seconds, percentile: (p) => percentile(latencies, p) };
}

/** The `p` quantile of sorted numbers (0 when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}
