/**
 * Turns a {@link FaultPlan} into fault events on a {@link RaftSim}: network
 * rates with per-link variation, named topologies, crashes with restarts,
 * wipes, pauses, clock skew and jumps on ticks, disk failures and sync
 * spikes; plus the admin actions (snapshots, membership changes, leadership
 * transfers). Each kind draws from its own PRNG stream, so enabling one kind
 * or adding a client never moves another kind's schedule.
 * @module
 */
import type { Prng } from '../../util/prng.js';
import { findFault, type FaultPlan } from './faults.js';
import type { RaftSim } from './raft-sim.js';
import { knowsItVotes, type SimNode } from './sim-node.js';
import { applyTopology, TOPOLOGY_NAMES, type TopologyName } from './topologies.js';

/** Schedules the faults of a plan until {@link FaultDriver.stop}. */
export class FaultDriver {
  /** What was done when, one line per action (`<ms> <kind> <detail>`). */
  readonly log: string[] = [];
  private active = true;

  /**
   * @param sim - The simulation to disturb.
   * @param plan - The enabled fault kinds and intensities.
   * @param canWipe - Whether wiping `n` now stays within the fault budget (every acknowledged write still on a majority).
   */
  constructor(private readonly sim: RaftSim, private readonly plan: FaultPlan, private readonly canWipe: (n: SimNode) => boolean) {}

  /** Start every enabled kind. */
  start(): void {
    this.network();
    this.periodic('partition', (rng) => this.partition(rng));
    this.periodic('crash', (rng) => this.crashOne(rng));
    this.periodic('wipe', (rng) => this.wipeOne(rng));
    this.periodic('pause', (rng) => this.pauseOne(rng));
    this.periodic('clock-skew', (rng) => this.skewOne(rng));
    this.disks();
    if (this.sim.o.adminEveryMs > 0) this.every(this.sim.streams.stream('admin'), this.sim.o.adminEveryMs, (rng) => this.admin(rng));
    this.every(this.sim.streams.stream('restarter'), 500, () => this.restartFailed());
  }

  /** Stop scheduling faults (the heal phase begins). */
  stop(): void {
    this.active = false;
  }

  private note(kind: string, detail: string): void {
    this.log.push(`${Math.round(this.sim.loop.now)} ${kind} ${detail}`);
  }

  private every(rng: Prng, meanMs: number, fn: (rng: Prng) => void): void {
    this.sim.loop.schedule(rng.next() * 2 * meanMs, () => {
      if (!this.active) return;
      fn(rng);
      this.every(rng, meanMs, fn);
    });
  }

  private periodic(kind: 'partition' | 'crash' | 'wipe' | 'pause' | 'clock-skew', fn: (rng: Prng) => void): void {
    const f = findFault(this.plan, kind);
    if (f !== undefined) this.every(this.sim.streams.stream(`fault:${kind}`), f.everyMs, fn);
  }

  private later(ms: number, fn: () => void): void {
    this.sim.loop.schedule(ms, fn);
  }

  private network(): void {
    const drop = findFault(this.plan, 'drop')?.rate ?? 0;
    const duplicate = findFault(this.plan, 'duplicate')?.rate ?? 0;
    const corrupt = findFault(this.plan, 'corrupt')?.rate ?? 0;
    const reorder = findFault(this.plan, 'reorder')?.maxDelayMs;
    const [lo, hi] = this.sim.o.delayMs;
    const base = { drop, duplicate, corrupt, minDelayMs: lo, maxDelayMs: reorder !== undefined ? Math.max(hi, reorder) : hi };
    this.sim.fabric.setDefaults(base);
    if (drop + duplicate + corrupt === 0 && reorder === undefined) return;
    // Per-link variation: some directed links are a lot worse than the rest.
    const rng = this.sim.streams.stream('links');
    for (const a of this.sim.nodes) {
      for (const b of this.sim.nodes) {
        if (a === b || rng.next() >= 0.2) continue;
        const k = 1 + rng.next() * 3;
        this.sim.fabric.setLink(a.id, b.id, { drop: Math.min(0.5, drop * k), duplicate: Math.min(0.3, duplicate * k), corrupt: Math.min(0.1, corrupt * k), maxDelayMs: base.maxDelayMs * k });
      }
    }
    this.note('network', `drop=${drop} dup=${duplicate} corrupt=${corrupt} maxDelay=${base.maxDelayMs}`);
  }

  private up(): SimNode[] {
    return this.sim.nodes.filter((n) => n.core !== null);
  }

  private partition(rng: Prng): void {
    const f = findFault(this.plan, 'partition')!;
    const names: readonly TopologyName[] = f.topologies.length > 0 ? f.topologies : TOPOLOGY_NAMES;
    const members = this.sim.members().map((n) => n.id);
    const ids = members.length >= this.sim.o.nodes ? members : this.sim.ids;
    this.sim.fabric.heal();
    const leader = this.sim.leader();
    if (rng.next() < 0.25 && leader !== undefined) {
      this.sim.fabric.isolate(leader.id, this.sim.nodes.map((n) => n.id));
      this.note('partition', `isolate leader ${leader.id}`);
    } else {
      const t = applyTopology(this.sim.fabric, ids, names[rng.int(names.length)]!, rng);
      this.note('partition', t.description);
    }
    this.sim.counters.add('partitions');
    this.later(rng.next() * 2 * f.forMs, () => this.sim.fabric.heal());
  }

  private crashOne(rng: Prng): void {
    const f = findFault(this.plan, 'crash')!;
    const up = this.up();
    const n = up[rng.int(Math.max(1, up.length))];
    if (n === undefined) return;
    this.sim.crash(n);
    this.note('crash', n.id);
    this.later(rng.next() * 2 * f.downMs, () => this.restart(n));
  }

  /** @internal Boot a down node (unless the run moved on). */
  restart(n: SimNode): void {
    if (n.core !== null) return;
    this.sim.counters.add('restarts');
    this.sim.boot(n);
  }

  private wipeOne(rng: Prng): void {
    const candidates = this.sim.nodes.filter((n) => this.canWipe(n));
    const n = candidates[rng.int(Math.max(1, candidates.length))];
    if (n === undefined) return;
    this.sim.wipe(n);
    this.note('wipe', n.id);
    this.later(rng.next() * 500, () => this.restart(n));
  }

  private pauseOne(rng: Prng): void {
    const f = findFault(this.plan, 'pause')!;
    const up = this.up().filter((n) => n.paused === null);
    const n = rng.next() < 0.5 ? this.sim.leader() ?? up[0] : up[rng.int(Math.max(1, up.length))];
    if (n === undefined) return;
    this.sim.pause(n);
    this.note('pause', n.id);
    this.later(rng.next() * 2 * f.forMs, () => this.sim.resume(n));
  }

  /** A clock running fast for a while, or a jump: several ticks at once (what a driver does after a stall). */
  private skewOne(rng: Prng): void {
    const f = findFault(this.plan, 'clock-skew')!;
    const up = this.up();
    const n = up[rng.int(Math.max(1, up.length))];
    if (n === undefined) return;
    const ticks = Math.max(1, Math.min(3 * this.sim.o.electionTicks, Math.round(f.maxSkewMs / this.sim.o.tickMs)));
    this.sim.counters.add('clockSkews');
    if (rng.next() < 0.5) {
      n.tickScale = 2;
      this.note('clock-skew', `${n.id} fast for ${ticks} ticks`);
      this.later(ticks * this.sim.o.tickMs, () => { n.tickScale = 1; });
    } else {
      this.note('clock-jump', `${n.id} +${ticks} ticks`);
      this.sim.atNode(n, () => {
        for (let i = 0; i < ticks && n.core !== null; i++) n.core.tick();
        if (n.core !== null) this.sim.kick(n);
      });
    }
  }

  private disks(): void {
    const eio = findFault(this.plan, 'disk-eio');
    const spike = findFault(this.plan, 'sync-spike');
    const full = findFault(this.plan, 'disk-full');
    const d = this.sim.diskFaults;
    if (eio !== undefined) d.failRate = eio.writeRate + eio.syncRate;
    if (spike !== undefined) Object.assign(d, { spikeRate: spike.rate, spikeMs: spike.spikeMs });
    if (full !== undefined) d.capacityBytes = full.capacityBytes;
  }

  private restartFailed(): void {
    for (const n of this.sim.nodes) {
      if (n.core !== null || !n.failed) continue;
      if (n.refused && this.sim.o.onRefusedStart === 'wipe') this.sim.wipe(n);
      this.restart(n);
    }
  }

  private admin(rng: Prng): void {
    const r = rng.next();
    const up = this.up();
    const leader = this.sim.leader();
    if (r < 0.5) {
      const n = up[rng.int(Math.max(1, up.length))];
      if (n !== undefined) this.sim.atNode(n, () => this.sim.takeSnapshot(n));
    } else if (r < 0.75 && leader !== undefined) {
      this.sim.atNode(leader, () => this.reconfigure(leader, rng));
    } else if (leader !== undefined) {
      this.sim.atNode(leader, () => {
        if (leader.core?.transferLeadership().ok === true) this.sim.counters.add('transfers');
        this.sim.kick(leader);
      });
    }
  }

  /** On the leader: add a spare as a voter, or remove a voter (ids are never reused). */
  private reconfigure(leader: SimNode, rng: Prng): void {
    const core = leader.core;
    if (core === null || core.currentRole !== 'leader') return;
    const cfg = core.configuration();
    const members = new Set([...cfg.voters, ...cfg.learners]);
    const spare = this.sim.nodes.find((n) => !members.has(n.id) && !cfg.removed.includes(n.id) && !this.sim.ids.includes(n.id));
    // A voter added at once votes only once it learns its configuration: with a voter that cannot vote
    // already (a wiped disk, or one added and not yet configured), the new configuration would have two
    // voters of four unable to vote and no electable quorum after one more loss (seed 810049 with
    // --storage file). An operator follows addVoter's advice there, as the fault budget does for wipes.
    const voters = [...cfg.voters, ...cfg.outgoing];
    const canGrow = voters.every((id) => { const n = this.sim.nodes.find((x) => x.id === id); return n !== undefined && !n.wiped && knowsItVotes(n); });
    const change = spare !== undefined && rng.next() < 0.6 && canGrow
      ? { addVoters: [spare.id] }
      : cfg.voters.length > 3 ? { removeVoters: [cfg.voters[rng.int(cfg.voters.length)]!] } : null;
    if (change === null) return;
    if (core.changeMembership(change).ok) this.sim.counters.add('configChanges');
    this.sim.kick(leader);
  }
}
