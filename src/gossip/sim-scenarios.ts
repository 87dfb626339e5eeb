/**
 * The nine gossip scenarios of the simulator, each a function of (N, loss,
 * seed) returning its figures. The bench runs them at N = 100 to 10,000;
 * the test suite runs them at small N with assertions.
 * @module
 */
import type { GossipOptions } from './config.js';
import { GossipSim } from './testing.js';

/** Common scenario parameters. */
export interface ScenarioParams {
  n: number;
  loss: number;
  seed: number | string;
  /** Member options (e.g. `{ pushPullIntervalMs: 0 }` to turn anti-entropy off). */
  member?: Partial<GossipOptions>;
  /** Count the keyring's per-packet overhead, as encrypting members send it. @default false */
  encrypted?: boolean;
}

const ALIVE = 1;
const DEAD = 3;

function newSim(p: ScenarioParams): { sim: GossipSim; ids: string[] } {
  const sim = new GossipSim({ seed: p.seed, loss: p.loss, member: p.member ?? {}, encrypted: p.encrypted ?? false });
  const ids = sim.addMany(p.n - 1 > 0 ? p.n : 1, 'n');
  sim.run(2000);
  return { sim, ids };
}

/** 1. One join from a single seed: ms until 99% and 100% of members list it (-1: never within the limit). */
export function joinSpread(p: ScenarioParams, limitMs = 30_000): { t99: number; t100: number; reachedAll: boolean } {
  const { sim, ids } = newSim({ ...p, n: p.n - 1 });
  const t0 = sim.now;
  sim.add('joiner', [ids[0]!]);
  const others = ids.length;
  let t99 = -1;
  const ok = sim.runUntil(() => {
    const seen = sim.countSeeing('joiner', ALIVE);
    if (t99 < 0 && seen >= Math.ceil(others * 0.99)) t99 = sim.now - t0;
    return seen === others;
  }, limitMs, 20);
  return { t99, t100: ok ? sim.now - t0 : -1, reachedAll: ok };
}

/** 2a. One user broadcast: share of members that got it and ms until the last did. */
export function userBroadcast(p: ScenarioParams, bytes = 200, limitMs = 20_000): { delivered: number; tAll: number } {
  const { sim, ids } = newSim(p);
  let got = 0;
  let last = 0;
  const t0 = sim.now;
  sim.onEvent((_m, ev, now) => {
    if (ev.type === 'broadcast') {
      got++;
      last = now - t0;
    }
  });
  sim.act(ids[0]!, (core, now) => core.broadcast(new Uint8Array(bytes).fill(7), now));
  sim.runUntil(() => got === ids.length - 1, limitMs, 50);
  return { delivered: got / (ids.length - 1), tAll: got === ids.length - 1 ? last : -1 };
}

/**
 * 2b. Key/value updates at `rate` per second cluster-wide (written by
 * members in turn) for `durationMs`: delivery ratio and staleness (ms) as
 * seen by the first `observers` members (a sample, to bound memory at 10,000),
 * `settleMs` after the last write.
 */
export function updateBurst(p: ScenarioParams, rate = 1000, durationMs = 5000, observers = 200, settleMs = 15_000): { delivered: number; staleness: number[] } {
  const { sim, ids } = newSim(p);
  const written = new Map<string, number>();
  const lags: number[] = [];
  const watching = new Set(ids.slice(0, observers));
  sim.onEvent((m, ev, now) => {
    if (ev.type !== 'kv' || !watching.has(m)) return;
    const at = written.get(`${ev.owner}/${ev.key}`);
    if (at !== undefined) lags.push(now - at);
  });
  const gap = 1000 / rate;
  let k = 0;
  for (let t = 0; t < durationMs; t += gap) {
    sim.loop.schedule(t, () => {
      const id = ids[k % ids.length]!;
      const key = `k${k++}`;
      written.set(`${id}/${key}`, sim.now);
      sim.act(id, (core, now) => core.setKv(key, new Uint8Array(16), now));
    });
  }
  sim.run(durationMs + settleMs);
  // Each update is owed to every watcher but its writer.
  let owed = 0;
  for (const key of written.keys()) owed += watching.size - (watching.has(key.slice(0, key.indexOf('/'))) ? 1 : 0);
  return { delivered: lags.length / owed, staleness: lags };
}

/** 3. Crash `count` members at once: ms to the first suspicion and until every live member holds each dead. */
export function crash(p: ScenarioParams, count = 1, limitMs = 60_000): { firstSuspect: number; allDead: number } {
  const { sim, ids } = newSim(p);
  const victims = ids.slice(1, 1 + count);
  const t0 = sim.now;
  let first = -1;
  const vs = new Set(victims);
  sim.onEvent((_m, ev, now) => {
    if (first < 0 && ev.type === 'suspect' && vs.has(ev.member.id)) first = now - t0;
  });
  for (const v of victims) sim.crash(v);
  const live = ids.length - count;
  const ok = sim.runUntil(() => victims.every((v) => sim.countSeeing(v, DEAD) === live), limitMs, 50);
  return { firstSuspect: first, allDead: ok ? sim.now - t0 : -1 };
}

/**
 * 4. A share of slow members (inbound processing and timers paused 1–10 s
 * every 30 s) for `durationMs`, nothing failed: false positives (a healthy
 * member declared dead by anyone) and flaps (suspicions of healthy members).
 */
export function slowMembers(p: ScenarioParams, share: number, durationMs = 600_000): { falsePositives: number; flaps: number; slowDeclaredDead: number } {
  const { sim, ids } = newSim(p);
  const slow = new Set(ids.slice(0, Math.max(1, Math.round(ids.length * share))));
  let fp = 0;
  let flaps = 0;
  let slowDead = 0;
  sim.onEvent((_m, ev) => {
    if (ev.type === 'dead') slow.has(ev.member.id) ? slowDead++ : fp++;
    if (ev.type === 'suspect' && !slow.has(ev.member.id)) flaps++;
  });
  let j = 0;
  for (const id of slow) {
    const offset = (j++ * 7919) % 30_000;
    for (let t = offset; t < durationMs; t += 30_000) {
      const len = 1000 + ((t * 31 + j * 977) % 9000);
      sim.loop.schedule(t, () => sim.pause(id, len));
    }
  }
  sim.run(durationMs);
  return { falsePositives: fp, flaps, slowDeclaredDead: slowDead };
}

/**
 * 5. A share of members with heavy ingress loss, or with one-way (egress)
 * loss toggled 20 s on / 20 s off: ms until each is stably dead everywhere
 * (-1 if never), returns from the dead per (observer, lossy member), and
 * healthy members declared dead.
 */
export function lossyMembers(p: ScenarioParams, mode: 'ingress' | 'oneway', durationMs = 120_000): { removedAt: number; oscillations: number; falsePositives: number } {
  const { sim, ids } = newSim(p);
  const bad = ids.slice(1, 1 + Math.max(1, Math.round(ids.length * 0.01)));
  const badSet = new Set(bad);
  let osc = 0;
  let fp = 0;
  sim.onEvent((_m, ev) => {
    if (ev.type === 'join' && badSet.has(ev.member.id)) osc++;
    if (ev.type === 'dead' && !badSet.has(ev.member.id)) fp++;
  });
  const t0 = sim.now;
  for (const b of bad) {
    if (mode === 'ingress') sim.get(b).ingressLoss = 0.8;
    else for (let t = 0; t < durationMs; t += 40_000) {
      sim.loop.schedule(t, () => (sim.get(b).egressLoss = 1));
      sim.loop.schedule(t + 20_000, () => (sim.get(b).egressLoss = 0));
    }
  }
  let removedAt = -1;
  const live = ids.length - bad.length;
  while (sim.now - t0 < durationMs) {
    sim.run(500);
    const allDead = bad.every((b) => sim.countSeeing(b, DEAD) >= live - 0);
    if (allDead && removedAt < 0) removedAt = sim.now - t0;
    if (!allDead) removedAt = -1;
  }
  return { removedAt, oscillations: osc / Math.max(1, live * bad.length), falsePositives: fp };
}

/** 6. Half the members restart within `windowMs`: members still dead or left in some live view after `settleMs`. */
export function massRestart(p: ScenarioParams, windowMs = 10_000, settleMs = 60_000): { stuckDead: number } {
  const { sim, ids } = newSim(p);
  const half = ids.slice(0, Math.floor(ids.length / 2));
  const stay = ids.slice(half.length);
  half.forEach((id, k) => {
    const at = Math.floor((k / half.length) * windowMs);
    sim.loop.schedule(at, () => sim.crash(id));
    sim.loop.schedule(at + 2000, () => sim.restart(id, [stay[k % stay.length]!]));
  });
  sim.run(windowMs + 2000 + settleMs);
  // Dead or left in some live view while up (a passing suspicion at 20% loss is not "stuck dead").
  let stuck = 0;
  for (const id of ids) if (ids.some((o) => o !== id && sim.get(o).core.stateOf(id) >= DEAD)) stuck++;
  return { stuckDead: stuck };
}

/** 7. A 50/50 partition for `splitMs`, then healed: ms until one view (everyone alive everywhere), no rejoin call. */
export function partitionHeal(p: ScenarioParams, splitMs = 300_000, limitMs = 300_000): { healMs: number } {
  const { sim, ids } = newSim(p);
  const a = ids.slice(0, ids.length / 2);
  const b = ids.slice(ids.length / 2);
  sim.fabric.partition([a, b]);
  sim.run(splitMs);
  sim.fabric.heal();
  const t0 = sim.now;
  const ok = sim.runUntil(() => sim.converged(), limitMs, 250);
  return { healMs: ok ? sim.now - t0 : -1 };
}

/**
 * 8. Send rates per member per second over `durationMs` (steady state, or
 * with churn of one restart every `churnMs`), after `warmupMs` so every
 * member's first anti-entropy contact (a full table) is behind it.
 */
export function traffic(p: ScenarioParams, durationMs = 60_000, churnMs = 0, warmupMs = 35_000): { bytesPerSec: number[]; msgsPerSec: number[] } {
  const { sim, ids } = newSim(p);
  sim.run(warmupMs);
  const before = ids.map((id) => ({ ...sim.get(id).core.stats }));
  if (churnMs > 0) {
    let k = 1;
    for (let t = churnMs; t < durationMs; t += churnMs) {
      const id = ids[k++ % ids.length]!;
      sim.loop.schedule(t, () => sim.crash(id));
      sim.loop.schedule(t + 1000, () => sim.restart(id, [ids[0]!]));
    }
  }
  sim.run(durationMs);
  const secs = durationMs / 1000;
  // A restarted member has a fresh core (counters from 0): count it from its restart.
  const rate = (id: string, i: number, k: 'bytesOut' | 'packetsOut') => {
    const now = sim.get(id).core.stats[k];
    return (now >= before[i]![k] ? now - before[i]![k] : now) / secs;
  };
  return { bytesPerSec: ids.map((id, i) => rate(id, i, 'bytesOut')), msgsPerSec: ids.map((id, i) => rate(id, i, 'packetsOut')) };
}

/** 9. `n` members start from one seed within `windowMs`: ms from the last start until all see all (-1 if not within the limit). */
export function bootstrap(p: ScenarioParams, windowMs = 10_000, limitMs = 60_000): { allSeeAll: number } {
  const sim = new GossipSim({ seed: p.seed, loss: p.loss, member: p.member ?? {} });
  sim.add('n0');
  for (let k = 1; k < p.n; k++) {
    const at = Math.floor((k / p.n) * windowMs);
    sim.loop.schedule(at, () => sim.add(`n${k}`, ['n0']));
  }
  sim.run(windowMs);
  const last = sim.now;
  const ok = sim.runUntil(() => allSeeAll(sim, p.n), limitMs, 250);
  return { allSeeAll: ok ? sim.now - last : -1 };
}

function allSeeAll(sim: GossipSim, n: number): boolean {
  for (const m of sim.members.values()) if (m.core.liveCount !== n) return false;
  return sim.members.size === n;
}

/** Percentile of a sample (nearest rank). */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
