/**
 * An in-memory {@link GossipTransport} network, on the shared packet
 * fabric: seeded loss, delay, duplication and partitions, on any clock
 * (virtual in tests, real in a demo).
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

  constructor(options: MemoryGossipNetworkOptions = {}) {
    this.fabric = new PacketFabric<Uint8Array>(options.clock ?? realClock(), createPrng(options.seed ?? 1), options.faults ?? {});
  }

  /** A transport bound to `address` on this network. */
  transport(address: string): GossipTransport {
    return new MemoryGossipTransport(this.fabric, address);
  }
}

class MemoryGossipTransport implements GossipTransport {
  private closed = false;
  private handler: GossipPacketHandler = () => {};

  constructor(private readonly fabric: PacketFabric<Uint8Array>, readonly address: string) {
    fabric.attach(address, (from, packet) => {
      if (!this.closed) this.handler(packet, from);
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
