/**
 * The gossip simulator: many {@link GossipCore}s on the shared virtual-time
 * {@link EventLoop} and {@link PacketFabric}, with the faults SWIM must
 * survive — loss, crashes, restarts, partitions, slow (paused) members,
 * ingress and one-way loss. Packets travel as message objects (the wire
 * codec is tested on its own), so 10,000 members fit in one process.
 * @module
 */
import type { GossipMsg } from '../codec/gossip.js';
import { EventLoop } from '../testing/sim/event-loop.js';
import { PacketFabric } from '../transport/fabric.js';
import { createPrng, type Prng } from '../util/prng.js';
import type { GossipOptions } from './config.js';
import { GossipCore, type GossipOutput } from './core.js';
import type { GossipEvent } from './events.js';
import { ALIVE, IdInterner, SUSPECT } from './members.js';

/** A simulated packet. */
export interface SimPacket {
  /** Id of the sending member. */
  from: string;
  /** The messages, as the sender's core produced them (not encoded). */
  msgs: GossipMsg[];
}

/** Options of a {@link GossipSim}. */
export interface GossipSimOptions {
  /** Seed of the whole run. */
  seed: number | string;
  /** Packet loss on every link. @default 0 */
  loss?: number;
  /** One-way delay range in ms. @default 1 */
  minDelayMs?: number;
  /** @default 5 */
  maxDelayMs?: number;
  /** Options given to every member (id and seed are set per member). */
  member?: Partial<GossipOptions>;
  /** Run on this loop instead of a new one (to share it with other simulated components). */
  loop?: EventLoop;
  /**
   * Members count and reserve bytes as encrypting members do (29 bytes of
   * encryption a packet, no cluster id in the envelope); the simulator
   * itself carries messages unencrypted. @default false
   */
  encrypted?: boolean;
}

/** One simulated member. */
export interface SimMember {
  /** The member's id (also its fabric address). */
  readonly id: string;
  /** The member's current core (replaced on restart). */
  core: GossipCore;
  /** False while crashed. */
  up: boolean;
  /** Inbound processing and timers are held until this time (a GC pause, an overloaded host). */
  pausedUntil: number;
  /** Probability (0 to 1) an inbound packet is dropped on arrival, on top of link loss; set by tests. */
  ingressLoss: number;
  /** Probability (0 to 1) an outbound packet is dropped before sending, on top of link loss; set by tests. */
  egressLoss: number;
  /** Packets that arrived while paused, delivered on resume. */
  held: SimPacket[];
  /** Handle of the event-loop timer armed for the core's next deadline, or null. */
  timer: unknown;
  /** Virtual time that timer fires at (Infinity when none is armed). */
  timerAt: number;
  /** Last incarnation the member "persisted" (through the incarnation event). */
  persisted: number;
}

/** A listener of every event of every member. */
export type SimEventListener = (member: string, ev: GossipEvent, now: number) => void;

/**
 * A deterministic gossip cluster on virtual time.
 *
 * @example
 * ```ts
 * const sim = new GossipSim({ seed: 1, loss: 0.05 });
 * sim.addMany(20, 'n');
 * sim.run(10_000);
 * sim.converged(); // true: everyone lists everyone alive
 * ```
 */
export class GossipSim {
  /** The virtual-time event loop (the one given in the options, or a new one). */
  readonly loop: EventLoop;
  /** The simulated network all members send through (applies the `loss` and delay options). */
  readonly fabric: PacketFabric<SimPacket>;
  /** Id interner shared by every member's core. */
  readonly interner = new IdInterner();
  /** Every member ever added, by id (crashed ones too, with `up` false). */
  readonly members = new Map<string, SimMember>();
  private readonly rng: Prng;
  private readonly listeners: SimEventListener[] = [];
  private readonly fires = new WeakMap<SimMember, () => void>();

  constructor(
    /** The options the simulator was created with. */
    readonly options: GossipSimOptions,
  ) {
    this.loop = options.loop ?? new EventLoop();
    this.rng = createPrng(options.seed);
    this.fabric = new PacketFabric<SimPacket>(this.loop.clock(), this.rng.fork('fabric'), {
      drop: options.loss ?? 0, minDelayMs: options.minDelayMs ?? 1, maxDelayMs: options.maxDelayMs ?? 5,
    });
  }

  /** Current virtual time. */
  get now(): number {
    return this.loop.now;
  }

  /** Listen to every member's events. */
  onEvent(fn: SimEventListener): void {
    this.listeners.push(fn);
  }

  /** Add and start a member; it joins through `seeds` if given. */
  add(id: string, seeds: readonly string[] = [], extra: Partial<GossipOptions> = {}): SimMember {
    const m: SimMember = { id, core: this.newCore(id, 0, extra), up: true, pausedUntil: 0, ingressLoss: 0, egressLoss: 0, held: [], timer: null, timerAt: Infinity, persisted: 0 };
    this.members.set(id, m);
    this.fabric.attach(id, (_from, p, reliable) => this.deliver(m, p, reliable));
    this.apply(m, m.core.start(this.now));
    if (seeds.length > 0) this.apply(m, m.core.join(seeds, this.now));
    return m;
  }

  /**
   * Add `n` members `prefix0…` that already know each other (as after a
   * finished bootstrap), without the cost of a simulated join each.
   */
  addMany(n: number, prefix = 'n', extra: Partial<GossipOptions> = {}): string[] {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    for (const id of ids) this.interner.intern(id);
    for (const id of ids) this.add(id, [], extra);
    // The first table is written row by row, the others copied from it.
    if (ids.length === 0) return ids;
    const first = this.get(ids[0]!).core;
    first.preload(ids, this.now);
    for (let k = 1; k < ids.length; k++) this.get(ids[k]!).core.preloadFrom(first, ids, this.now);
    return ids;
  }

  /** Crash a member: it stops, loses its state, and its in-flight packets are lost. */
  crash(id: string): void {
    const m = this.get(id);
    m.up = false;
    this.loop.cancel(m.timer);
    m.timer = null;
    m.timerAt = Infinity;
    m.held = [];
    this.fabric.detach(id);
  }

  /** Restart a crashed member with a fresh core (persisted incarnation kept), joining through `seeds`. */
  restart(id: string, seeds: readonly string[], extra: Partial<GossipOptions> = {}): void {
    const m = this.get(id);
    if (m.up) this.crash(id);
    m.core = this.newCore(id, m.persisted, extra);
    m.up = true;
    this.fabric.attach(id, (_from, p, reliable) => this.deliver(m, p, reliable));
    this.apply(m, m.core.start(this.now));
    this.apply(m, m.core.join(seeds, this.now));
  }

  /** Call the member's core (broadcast, setKv, leave, …) and carry out what it returns. */
  act(id: string, fn: (core: GossipCore, now: number) => GossipOutput): void {
    const m = this.get(id);
    if (m.up) this.apply(m, fn(m.core, this.now));
  }

  /** Pause a member's processing (inbound and timers) for `ms`. */
  pause(id: string, ms: number): void {
    const m = this.get(id);
    m.pausedUntil = Math.max(m.pausedUntil, this.now + ms);
    this.loop.schedule(ms, () => this.resume(m));
  }

  /** The member with `id`. */
  get(id: string): SimMember {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`No simulated member ${id}`);
    return m;
  }

  /** Run for `ms` of virtual time. */
  run(ms: number): void {
    this.loop.runFor(ms);
  }

  /** Run until `pred` holds, checking every `stepMs`, for at most `timeoutMs`; returns whether it held. */
  runUntil(pred: () => boolean, timeoutMs: number, stepMs = 100): boolean {
    const end = this.now + timeoutMs;
    while (this.now < end) {
      if (pred()) return true;
      this.loop.runFor(Math.min(stepMs, end - this.now));
    }
    return pred();
  }

  /** Ids of members that are up. */
  upIds(): string[] {
    return [...this.members.values()].filter((m) => m.up).map((m) => m.id);
  }

  /** How many up members see `id` in state `state` (1 alive, 2 suspect, 3 dead, 4 left; 0 unknown). */
  countSeeing(id: string, state: number): number {
    let n = 0;
    for (const m of this.members.values()) if (m.up && m.id !== id && m.core.stateOf(id) === state) n++;
    return n;
  }

  /** Whether every up member sees every up member alive (and no down member live). */
  converged(): boolean {
    return this.disagreements(1).length === 0;
  }

  /**
   * What keeps the views from converging, at most `limit` items: an up
   * member seeing another up member other than alive, or a down member
   * alive or suspect ("n3 sees down n7 as 2", states as in {@link GossipSim.countSeeing}).
   */
  disagreements(limit = Number.POSITIVE_INFINITY): string[] {
    const out: string[] = [];
    const up = this.upIds();
    const down = [...this.members.values()].filter((m) => !m.up).map((m) => m.id);
    for (const a of up) {
      const core = this.get(a).core;
      for (const b of up) {
        const s = core.stateOf(b);
        if (s !== ALIVE && out.push(`${a} sees up ${b} as ${s}`) >= limit) return out;
      }
      for (const b of down) {
        const s = core.stateOf(b);
        if ((s === ALIVE || s === SUSPECT) && out.push(`${a} sees down ${b} as ${s}`) >= limit) return out;
      }
    }
    return out;
  }

  private newCore(id: string, persisted: number, extra: Partial<GossipOptions>): GossipCore {
    const opts = { ...this.options.member, ...extra, id, incarnation: persisted } as GossipOptions;
    return new GossipCore(opts, {
      prng: this.rng.fork(`core:${id}:${this.now}`), interner: this.interner,
      encrypted: this.options.encrypted === true,
    });
  }

  private deliver(m: SimMember, p: SimPacket, reliable: boolean): void {
    if (!m.up) return;
    if (!reliable && m.ingressLoss > 0 && this.rng.next() < m.ingressLoss) return;
    if (this.now < m.pausedUntil) {
      m.held.push(p);
      return;
    }
    this.apply(m, m.core.receive(p.from, p.msgs, this.now));
  }

  private resume(m: SimMember): void {
    if (!m.up || this.now < m.pausedUntil) return;
    const held = m.held;
    m.held = [];
    for (const p of held) this.apply(m, m.core.receive(p.from, p.msgs, this.now));
    this.apply(m, m.core.tick(this.now));
  }

  /** Send the packets, report the events, and arm the member's timer for its next deadline. */
  private apply(m: SimMember, out: GossipOutput): void {
    for (const p of out.packets) {
      // A stream retransmits: per-member packet loss does not apply to it (a cut link does).
      if (p.stream === true) this.fabric.sendReliable(m.id, p.addr, { from: m.id, msgs: p.msgs });
      else if (m.egressLoss > 0 && this.rng.next() < m.egressLoss) continue;
      else this.fabric.send(m.id, p.addr, { from: m.id, msgs: p.msgs });
    }
    for (const ev of out.events) {
      if (ev.type === 'incarnation') m.persisted = ev.incarnation;
      for (const l of this.listeners) l(m.id, ev, this.now);
    }
    if (!m.up) return;
    const next = Math.max(m.core.nextDeadline(), m.pausedUntil);
    if (next >= m.timerAt || next === Infinity) return;
    this.loop.cancel(m.timer);
    m.timerAt = next;
    m.timer = this.loop.schedule(next - this.now, this.firer(m));
  }

  /** The member's timer callback: one function a member, not a new closure each time its timer is armed. */
  private firer(m: SimMember): () => void {
    let fire = this.fires.get(m);
    if (fire === undefined) {
      fire = () => {
        m.timer = null;
        m.timerAt = Infinity;
        if (this.now < m.pausedUntil) return;
        this.apply(m, m.core.tick(this.now));
      };
      this.fires.set(m, fire);
    }
    return fire;
  }
}
