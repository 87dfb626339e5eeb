import { realClock, type Clock } from '../clock.js';
import { decodeRaftFrame, encodeRaftFrame } from '../codec/raft.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../codec/msgpack.js';
import type { Message, NodeId } from '../raft/core/types.js';
import { createPrng } from '../util/prng.js';
import { PacketFabric } from './fabric.js';
import type { MessageHandler, RaftTransport } from './transport.js';

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Clock for delivery delays; pass a simulated clock for virtual time. @default realClock() */
  clock?: Clock;
  /** Seed of the fault randomness. @default 1 */
  seed?: number;
  /** Minimum one-way delay, ms. @default 0 */
  minDelayMs?: number;
  /** Maximum one-way delay, ms. @default 0 */
  maxDelayMs?: number;
  /** Probability of dropping a frame. @default 0 */
  dropRate?: number;
  /** Largest accepted frame in bytes. @default 16 MiB */
  maxFrameBytes?: number;
}

/**
 * An in-process network for {@link RaftNode}s, with seeded faults. Every
 * frame goes through the wire codec, so what works here works on a socket.
 *
 * @example
 * ```ts
 * const net = new MemoryNetwork();
 * const ta = net.transport('a');
 * net.partition(['a'], ['b', 'c']);
 * net.heal();
 * ```
 */
export class MemoryNetwork {
  private readonly fabric: PacketFabric<Uint8Array>;
  private readonly addresses = new Map<NodeId, string>();
  private readonly maxFrameBytes: number;
  /** Frames dropped because they failed to decode or named the wrong sender. */
  malformed = 0;

  constructor(options: MemoryNetworkOptions = {}) {
    const clock = options.clock ?? realClock();
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.fabric = new PacketFabric<Uint8Array>(clock, createPrng(options.seed ?? 1), {
      minDelayMs: options.minDelayMs ?? 0,
      maxDelayMs: options.maxDelayMs ?? options.minDelayMs ?? 0,
      drop: options.dropRate ?? 0,
    });
  }

  /** A transport for node `id`, optionally with an address shown to clients. */
  transport(id: NodeId, address = `memory://${id}`): MemoryTransport {
    this.addresses.set(id, address);
    return new MemoryTransport(id, this.fabric, this);
  }

  /** Cut every link between the groups (nodes in no group keep their links). */
  partition(...groups: NodeId[][]): void {
    this.fabric.partition(groups);
  }

  /** Cut one node off from all others. */
  isolate(id: NodeId): void {
    this.fabric.isolate(id, [...this.addresses.keys()]);
  }

  /** Cut the one-way link from → to. */
  cut(from: NodeId, to: NodeId): void {
    this.fabric.cut(from, to);
  }

  /** Restore every link. */
  heal(): void {
    this.fabric.heal();
  }

  /** Drop frames with this probability from now on. */
  drop(rate: number): void {
    this.fabric.setDefaults({ drop: rate });
  }

  /** Delay frames uniformly between min and max ms from now on. */
  delay(minMs: number, maxMs = minMs): void {
    this.fabric.setDefaults({ minDelayMs: minMs, maxDelayMs: maxMs });
  }

  /** Counters of the underlying fabric. */
  get stats(): Readonly<{
    /** Frames passed to the fabric, lost or not. */
    sent: number;
    /** Frame copies handed to the receiving endpoint. */
    delivered: number;
    /** Frames lost: cut link (at send or in flight), drop fault, or no endpoint attached at delivery. */
    dropped: number;
    /** Frames the duplicate fault delivered a second time. */
    duplicated: number;
  }> {
    return this.fabric.stats;
  }

  /** @internal */
  addressOf(id: NodeId): string | null {
    return this.addresses.get(id) ?? null;
  }

  /** @internal */
  get frameLimit(): number {
    return this.maxFrameBytes;
  }

  /** Inject raw bytes as if `from` sent them to `to` (for fuzzing the receive path). */
  injectRaw(from: NodeId, to: NodeId, frame: Uint8Array): void {
    this.fabric.send(from, to, frame);
  }
}

/** One node's end of a {@link MemoryNetwork}. */
export class MemoryTransport implements RaftTransport {
  private closed = false;

  /** @internal */
  constructor(
    private readonly id: NodeId,
    private readonly fabric: PacketFabric<Uint8Array>,
    private readonly net: MemoryNetwork,
  ) {}

  start(handler: MessageHandler): void {
    this.closed = false;
    this.fabric.attach(this.id, (from, frame) => this.receive(from, frame, handler));
  }

  private receive(from: NodeId, frame: Uint8Array, handler: MessageHandler): void {
    if (this.closed) return;
    let msgs: Message[];
    try {
      msgs = decodeRaftFrame(frame, this.net.frameLimit);
    } catch {
      this.net.malformed++;
      return;
    }
    for (const m of msgs) {
      if (m.from !== from || m.to !== this.id) {
        this.net.malformed++;
        continue;
      }
      handler(m);
    }
  }

  send(messages: readonly Message[]): void {
    if (this.closed || messages.length === 0) return;
    // One frame per destination per call: a Ready's messages travel together.
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to);
      if (list === undefined) byPeer.set(m.to, [m]);
      else list.push(m);
    }
    for (const [to, list] of byPeer) this.fabric.send(this.id, to, encodeRaftFrame(list));
  }

  addressOf(id: NodeId): string | null {
    return this.net.addressOf(id);
  }

  close(): void {
    this.closed = true;
    this.fabric.detach(this.id);
  }
}
