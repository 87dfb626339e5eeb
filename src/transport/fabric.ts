import type { Clock } from '../clock.js';
import type { Prng } from '../util/prng.js';

/** Per-link fault settings of a {@link PacketFabric}. */
export interface LinkFaults {
  /** Probability a packet is dropped, in [0, 1]. */
  drop: number;
  /** Probability a packet is delivered twice, in [0, 1]. */
  duplicate: number;
  /** Minimum one-way delay in milliseconds. */
  minDelayMs: number;
  /** Maximum one-way delay in milliseconds (uniform between min and max; a spread reorders packets). */
  maxDelayMs: number;
  /**
   * Probability each delivered copy is corrupted by the fabric's corrupter, in
   * [0, 1] (default 0). Byte packets get bits flipped or are cut short, so the
   * receiver's codec must reject them.
   */
  corrupt?: number;
}

/**
 * Mutates a packet in flight; must return a new packet rather than change the
 * sender's (which it may keep to retransmit).
 */
export type Corrupter<T> = (packet: T, rng: Prng) => T;

/**
 * The default corrupter for byte packets: a copy with one random bit flipped,
 * one random byte replaced, or the tail cut off (each one time in three).
 * Anything that is not a `Uint8Array` is returned unchanged.
 */
export function corruptBytes<T>(packet: T, rng: Prng): T {
  if (!(packet instanceof Uint8Array) || packet.length === 0) return packet;
  const out = packet.slice();
  const i = rng.int(out.length);
  const how = rng.int(3);
  if (how === 0) out[i] = out[i]! ^ (1 << rng.int(8));
  else if (how === 1) out[i] = (out[i]! + 1 + rng.int(255)) & 0xff;
  else return out.subarray(0, i) as T;
  return out as T;
}

/** A packet handler of one endpoint; `reliable` is true for packets sent with {@link PacketFabric.sendReliable}. */
export type PacketHandler<T> = (from: string, packet: T, reliable: boolean) => void;

/**
 * The in-process network model shared by the memory transports and the
 * simulator: endpoints by id, directed links that can be cut, and seeded
 * drop / duplicate / delay faults. Delivery is always asynchronous (through
 * the clock), so a send never re-enters the sender.
 */
export class PacketFabric<T> {
  private readonly endpoints = new Map<string, PacketHandler<T>>();
  private readonly blocked = new Set<string>();
  private readonly linkFaults = new Map<string, LinkFaults>();
  /** Per directed link, when the last reliable packet is delivered (they keep their order). */
  private readonly reliableAt = new Map<string, number>();
  private defaults: LinkFaults;
  private lastArrival = 0;
  private corrupter: Corrupter<T> = corruptBytes;
  /** Counters: sent, delivered, dropped (by fault or cut), duplicated, corrupted. */
  readonly stats = {
    /** Packets passed to {@link PacketFabric.send}, lost or not. */
    sent: 0,
    /** Packet copies handed to the receiving endpoint's handler. */
    delivered: 0,
    /** Packets lost: cut link (at send or in flight), drop fault, or no endpoint attached at delivery. */
    dropped: 0,
    /** Packets the duplicate fault scheduled a second time. */
    duplicated: 0,
    /** Copies changed in flight by the corrupter. */
    corrupted: 0,
    /** Packets passed to {@link PacketFabric.sendReliable} (also counted in `sent`). */
    reliableSent: 0,
  };

  constructor(
    private readonly clock: Clock,
    private readonly rng: Prng,
    defaults: Partial<LinkFaults> = {},
  ) {
    this.defaults = { drop: 0, duplicate: 0, minDelayMs: 0, maxDelayMs: 0, ...defaults };
  }

  /**
   * Clock time by which every packet sent so far has arrived (or been lost):
   * after a {@link PacketFabric.heal}, packets already in flight keep the
   * delays they were sent with.
   */
  get drainedAt(): number {
    return this.lastArrival;
  }

  /** Attach an endpoint; replaces any handler with the same id. */
  attach(id: string, handler: PacketHandler<T>): void {
    this.endpoints.set(id, handler);
  }

  /** Detach an endpoint; packets in flight to it are lost. */
  detach(id: string): void {
    this.endpoints.delete(id);
  }

  /** Ids of attached endpoints. */
  ids(): string[] {
    return [...this.endpoints.keys()];
  }

  /** Set faults for every link that has no override. */
  setDefaults(faults: Partial<LinkFaults>): void {
    this.defaults = { ...this.defaults, ...faults };
  }

  /** Replace how packets are corrupted (see {@link LinkFaults.corrupt}); the default is {@link corruptBytes}. */
  setCorrupter(corrupter: Corrupter<T>): void {
    this.corrupter = corrupter;
  }

  /** Override the faults of the directed link from → to. */
  setLink(from: string, to: string, faults: Partial<LinkFaults>): void {
    this.linkFaults.set(linkKey(from, to), { ...this.faultsOf(from, to), ...faults });
  }

  /** Remove every per-link override. */
  clearLinks(): void {
    this.linkFaults.clear();
  }

  /** Cut the directed link from → to. */
  cut(from: string, to: string): void {
    this.blocked.add(linkKey(from, to));
  }

  /** Restore the directed link from → to. */
  restore(from: string, to: string): void {
    this.blocked.delete(linkKey(from, to));
  }

  /** Whether from → to is cut. */
  isCut(from: string, to: string): boolean {
    // No key string to build on the common path of a fabric with no cut link.
    return this.blocked.size > 0 && this.blocked.has(linkKey(from, to));
  }

  /** Cut every link between different groups (both directions); links within a group are kept. */
  partition(groups: readonly (readonly string[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]!) for (const b of groups[j]!) this.cut(a, b);
      }
    }
  }

  /** Cut `id` off from every other endpoint, both ways. */
  isolate(id: string, others: readonly string[] = this.ids()): void {
    for (const o of others) {
      if (o === id) continue;
      this.cut(id, o);
      this.cut(o, id);
    }
  }

  /** Restore every cut link. Fault rates are kept. */
  heal(): void {
    this.blocked.clear();
  }

  /** Send a packet; it is delivered later through the clock, or lost. */
  send(from: string, to: string, packet: T): void {
    this.stats.sent++;
    if (this.isCut(from, to)) {
      this.stats.dropped++;
      return;
    }
    const f = this.faultsOf(from, to);
    if (f.drop > 0 && this.rng.next() < f.drop) {
      this.stats.dropped++;
      return;
    }
    this.schedule(from, to, packet, f);
    if (f.duplicate > 0 && this.rng.next() < f.duplicate) {
      this.stats.duplicated++;
      this.schedule(from, to, packet, f);
    }
  }

  /**
   * Send a packet as a reliable, ordered stream (TCP-like) would: no drop,
   * duplicate or corruption fault, the link's delay, never before an earlier
   * reliable packet on the same link. A cut link, at send or in flight,
   * still loses it (a broken connection).
   */
  sendReliable(from: string, to: string, packet: T): void {
    this.stats.sent++;
    this.stats.reliableSent++;
    if (this.blocked.has(linkKey(from, to))) {
      this.stats.dropped++;
      return;
    }
    const f = this.faultsOf(from, to);
    const key = linkKey(from, to);
    const spread = f.maxDelayMs - f.minDelayMs;
    const now = this.clock.now();
    const at = Math.max(this.reliableAt.get(key) ?? 0, now + (spread > 0 ? f.minDelayMs + this.rng.next() * spread : f.minDelayMs));
    this.reliableAt.set(key, at);
    this.lastArrival = Math.max(this.lastArrival, at);
    this.clock.setTimeout(() => this.deliver(from, to, packet, true), at - now);
  }

  private faultsOf(from: string, to: string): LinkFaults {
    if (this.linkFaults.size === 0) return this.defaults;
    return this.linkFaults.get(linkKey(from, to)) ?? this.defaults;
  }

  private schedule(from: string, to: string, packet: T, f: LinkFaults): void {
    const spread = f.maxDelayMs - f.minDelayMs;
    const delay = spread > 0 ? f.minDelayMs + this.rng.next() * spread : f.minDelayMs;
    this.lastArrival = Math.max(this.lastArrival, this.clock.now() + delay);
    // Drawn only when corruption is on, so fabrics without it replay exactly as before it existed.
    const corrupt = f.corrupt !== undefined && f.corrupt > 0 && this.rng.next() < f.corrupt;
    const copy = corrupt ? this.corrupter(packet, this.rng) : packet;
    if (corrupt) this.stats.corrupted++;
    this.clock.setTimeout(() => this.deliver(from, to, copy), delay);
  }

  private deliver(from: string, to: string, packet: T, reliable = false): void {
    // A link cut while the packet was in flight loses it, as a real partition would.
    if (this.isCut(from, to)) {
      this.stats.dropped++;
      return;
    }
    const h = this.endpoints.get(to);
    if (h === undefined) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    h(from, packet, reliable);
  }
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}
