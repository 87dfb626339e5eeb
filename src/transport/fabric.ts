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
}

/** A packet handler of one endpoint. */
export type PacketHandler<T> = (from: string, packet: T) => void;

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
  private defaults: LinkFaults;
  /** Counters: sent, delivered, dropped (by fault or cut), duplicated. */
  readonly stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly rng: Prng,
    defaults: Partial<LinkFaults> = {},
  ) {
    this.defaults = { drop: 0, duplicate: 0, minDelayMs: 0, maxDelayMs: 0, ...defaults };
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
    return this.blocked.has(linkKey(from, to));
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
    if (this.blocked.has(linkKey(from, to))) {
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

  private faultsOf(from: string, to: string): LinkFaults {
    return this.linkFaults.get(linkKey(from, to)) ?? this.defaults;
  }

  private schedule(from: string, to: string, packet: T, f: LinkFaults): void {
    const spread = f.maxDelayMs - f.minDelayMs;
    const delay = spread > 0 ? f.minDelayMs + this.rng.next() * spread : f.minDelayMs;
    this.clock.setTimeout(() => this.deliver(from, to, packet), delay);
  }

  private deliver(from: string, to: string, packet: T): void {
    // A link cut while the packet was in flight loses it, as a real partition would.
    if (this.blocked.has(linkKey(from, to))) {
      this.stats.dropped++;
      return;
    }
    const h = this.endpoints.get(to);
    if (h === undefined) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    h(from, packet);
  }
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}
