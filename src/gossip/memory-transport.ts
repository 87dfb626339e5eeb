/**
 * An in-memory {@link GossipTransport} network, on the shared packet
 * fabric: seeded loss, delay, duplication and partitions, on any clock
 * (virtual in tests, real in a demo). Its reliable stream is modelled like
 * TCP: no loss, duplication or corruption, the link's delay, in order, but
 * lost on a cut link.
 * @module
 */
import { realClock, type Clock } from '../clock.js';
import { PacketFabric, type LinkFaults } from '../transport/fabric.js';
import { createPrng } from '../util/prng.js';
import type { GossipPacketHandler, GossipTransport } from './transport.js';

/** Options of a {@link MemoryGossipNetwork}. */
export interface MemoryGossipNetworkOptions {
  /** Clock of delivery delays. @default realClock() */
  clock?: Clock;
  /** Seed of the loss and delay draws. @default 1 */
  seed?: number | string;
  /** Default link faults. @default no loss, no delay */
  faults?: Partial<LinkFaults>;
  /** Whether transports offer the reliable stream (`sendStream`). @default true */
  streams?: boolean;
}

/**
 * A network of in-memory gossip endpoints.
 *
 * @example
 * ```ts
 * const net = new MemoryGossipNetwork({ faults: { drop: 0.05 } });
 * const a = new GossipNode({ id: 'a', transport: net.transport('a') });
 * ```
 */
export class MemoryGossipNetwork {
  /** The underlying fabric: cut links, partition, set per-link faults. */
  readonly fabric: PacketFabric<Uint8Array>;
  private readonly streams: boolean;

  constructor(options: MemoryGossipNetworkOptions = {}) {
    this.fabric = new PacketFabric<Uint8Array>(options.clock ?? realClock(), createPrng(options.seed ?? 1), options.faults ?? {});
    this.streams = options.streams ?? true;
  }

  /** A transport bound to `address` on this network. */
  transport(address: string): GossipTransport {
    return this.streams ? new MemoryGossipStreamTransport(this.fabric, address) : new MemoryGossipTransport(this.fabric, address);
  }
}

class MemoryGossipTransport implements GossipTransport {
  protected closed = false;
  private handler: GossipPacketHandler = () => {};

  constructor(protected readonly fabric: PacketFabric<Uint8Array>, readonly address: string) {
    fabric.attach(address, (from, packet, reliable) => {
      if (!this.closed) this.handler(packet, from, reliable);
    });
  }

  send(address: string, packet: Uint8Array): void {
    if (!this.closed) this.fabric.send(this.address, address, packet);
  }

  onPacket(handler: GossipPacketHandler): void {
    this.handler = handler;
  }

  close(): void {
    this.closed = true;
    this.fabric.detach(this.address);
  }
}

/** The same, with the reliable stream. */
class MemoryGossipStreamTransport extends MemoryGossipTransport {
  sendStream(address: string, packet: Uint8Array): void {
    if (!this.closed) this.fabric.sendReliable(this.address, address, packet);
  }
}
