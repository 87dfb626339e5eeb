/**
 * Seeded fault sweeps of the gossip simulator, as `npm run sim` sweeps Raft:
 * each seed picks a cluster size, a loss rate and a schedule of crashes,
 * restarts, partitions, pauses and leaves, runs it, then heals everything
 * and checks the invariants of the gossip issue:
 * - incarnations are monotonic (a member's own, and every view of every
 *   member), so an alive at incarnation k is never overturned by a suspect
 *   or dead claim below k;
 * - after the heal, views converge: every up member lists every up member
 *   alive, and no crashed or departed member as live, with no rejoin call.
 * @module
 */
import { createPrng, type Prng } from '../util/prng.js';
import type { GossipCore } from './core.js';
import type { GossipEvent } from './events.js';
import { LEFT } from './members.js';
import { GossipSim } from './testing.js';

/** The outcome of one seed. */
export interface GossipSweepResult {
  seed: number;
  /** The picked cluster and fault schedule, one line an action. */
  plan: string[];
  /** Invariant violations, empty when the seed passed. */
  violations: string[];
  /** Virtual ms the views took to converge after the heal (-1: they did not within the limit). */
  convergedAfterMs: number;
}

/** Options of {@link gossipSweepSeed}. */
export interface GossipSweepOptions {
  /** Virtual ms of faults. @default 60000 */
  faultMs?: number;
  /** Virtual ms allowed for convergence after the heal. @default 90000 */
  healLimitMs?: number;
}


/**
 * Run one seed of the sweep.
 *
 * @example
 * ```ts
 * const r = gossipSweepSeed(7);
 * r.violations; // [] when every invariant held
 * ```
 */
export function gossipSweepSeed(seed: number, o: GossipSweepOptions = {}): GossipSweepResult {
  const rng = createPrng(`gossip-sweep:${seed}`);
  const n = 4 + rng.int(45);
  const loss = [0, 0.01, 0.05, 0.1, 0.2][rng.int(5)]!;
  const plan = [`n=${n} loss=${loss}`];
  const sim = new GossipSim({ seed, loss, maxDelayMs: 5 + rng.int(40) });
  const ids = sim.addMany(n, 'n');
  const watch = watchInvariants(sim);
  const faultMs = o.faultMs ?? 60_000;
  scheduleFaults(sim, ids, rng, faultMs, plan);
  sim.run(faultMs);
  healAll(sim, ids, plan);
  const limit = o.healLimitMs ?? 90_000;
  const t0 = sim.now;
  const ok = sim.runUntil(() => sim.converged(), limit, 250);
  const violations = [...watch.violations];
  if (!ok) violations.push(`views did not converge within ${limit} ms of the heal: ${sim.disagreements(8).join('; ')}`);
  return { seed, plan, violations, convergedAfterMs: ok ? sim.now - t0 : -1 };
}

/**
 * Every member's view of every member, checked at each event. Views belong
 * to a core: a restarted member's new core starts knowing nothing of what
 * its previous life saw. Its own incarnation is persisted across restarts.
 */
function watchInvariants(sim: GossipSim): { violations: string[] } {
  const violations: string[] = [];
  const own = new Map<string, number>();
  const views = new WeakMap<GossipCore, Map<string, { inc: number; state: string }>>();
  sim.onEvent((m, ev: GossipEvent, now) => {
    if (violations.length >= 20) return;
    if (ev.type === 'incarnation') {
      if (ev.incarnation < (own.get(m) ?? 0)) violations.push(`${now} ${m}: own incarnation went down to ${ev.incarnation}`);
      own.set(m, ev.incarnation);
      return;
    }
    if (!('member' in ev)) return;
    const core = sim.get(m).core;
    let view = views.get(core);
    if (view === undefined) views.set(core, (view = new Map()));
    const prev = view.get(ev.member.id);
    const at = `${now} ${m} on ${ev.member.id}`;
    if (prev !== undefined && ev.member.incarnation < prev.inc) violations.push(`${at}: incarnation went down ${prev.inc} -> ${ev.member.incarnation} (${ev.type})`);
    view.set(ev.member.id, { inc: ev.member.incarnation, state: ev.member.state });
  });
  return { violations };
}

/** Crashes, restarts, partitions, pauses and leaves at random times in the fault window. */
function scheduleFaults(sim: GossipSim, ids: string[], rng: Prng, faultMs: number, plan: string[]): void {
  const events = 2 + rng.int(10);
  for (let k = 0; k < events; k++) {
    const at = 1000 + rng.int(faultMs - 2000);
    const id = ids[rng.int(ids.length)]!;
    const kind = rng.int(5);
    if (kind === 0) {
      plan.push(`${at} crash ${id}`);
      sim.loop.schedule(at, () => sim.get(id).up && sim.crash(id));
    } else if (kind === 1) {
      // Through members that are up and not leaving then (a restart through dead seeds alone cannot
      // join: the user's to fix).
      const pick = rng.next();
      plan.push(`${at} restart ${id}`);
      sim.loop.schedule(at, () => {
        const up = sim.upIds().filter((u) => u !== id && sim.get(u).core.stateOf(u) !== LEFT);
        // Up to three seeds, as users list several: one of them may leave before the join completes.
        const at0 = Math.floor(pick * up.length);
        if (up.length > 0) sim.restart(id, [0, 1, 2].slice(0, up.length).map((k) => up[(at0 + k) % up.length]!));
      });
    } else if (kind === 2) {
      const cut = 1 + rng.int(ids.length - 1);
      const ms = 1000 + rng.int(30_000);
      plan.push(`${at} partition at ${cut} for ${ms}`);
      sim.loop.schedule(at, () => sim.fabric.partition([ids.slice(0, cut), ids.slice(cut)]));
      sim.loop.schedule(at + ms, () => sim.fabric.heal());
    } else if (kind === 3) {
      const ms = 100 + rng.int(8000);
      plan.push(`${at} pause ${id} for ${ms}`);
      sim.loop.schedule(at, () => sim.get(id).up && sim.pause(id, ms));
    } else {
      plan.push(`${at} leave ${id}`);
      sim.loop.schedule(at, () => sim.act(id, (core, now) => core.leave(now)));
    }
  }
}

/**
 * End every fault: links healed, loss off. Members that left stay gone
 * (crashed, as a process that left exits); crashed ones stay down too:
 * both must end up dead or left everywhere.
 */
function healAll(sim: GossipSim, ids: string[], plan: string[]): void {
  sim.fabric.heal();
  sim.fabric.setDefaults({ drop: 0 });
  for (const id of ids) {
    const m = sim.get(id);
    if (m.up && m.core.stateOf(id) === LEFT) sim.crash(id);
  }
  plan.push(`${Math.round(sim.now)} heal (up: ${sim.upIds().length} of ${ids.length})`);
}
