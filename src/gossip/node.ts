/**
 * `GossipNode`: the driver of a {@link GossipCore}. It owns the clock and
 * the transport, encodes, encrypts, decrypts and validates packets, arms
 * one timer for the core's next deadline, persists incarnations through a
 * callback, and emits the core's events through eventemitter3.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { realClock, type Clock, type TimerHandle } from '../clock.js';
import { decodeGossipPacket, encodeGossipPacket, type GossipEnvelope } from '../codec/gossip.js';
import { AuthError, InvalidConfigError, InvalidInputError, StoppedError, TimeoutError } from '../errors.js';
import type { GossipOptions } from './config.js';
import { GossipCore, type GossipCoreStats, type GossipOutput } from './core.js';
import type { GossipEvent } from './events.js';
import { NONCE_BYTES, type GossipKeyring } from './keyring.js';
import { ReplayCache } from './replay.js';
import type { MemberInfo } from './members.js';
import type { GossipTransport } from './transport.js';

/** Largest stream packet a node uses when its transport has a stream and `maxStreamBytes` is not set. */
export const DEFAULT_MAX_STREAM_BYTES = 1024 * 1024;

/** Options of a {@link GossipNode}: the core's options plus the adapters. */
export interface GossipNodeOptions extends Omit<GossipOptions, 'address'> {
  /** The datagram transport; its `address` is this member's address. */
  transport: GossipTransport;
  /**
   * Time source. The core counts protocol periods from the time it is
   * given, and members probe in step on their shared ring (each probed once
   * a period) only when they agree on the period number: with the default
   * clock the node adds `performance.timeOrigin`, so hosts whose wall
   * clocks agree (NTP) agree on it; a clock passed here is used as it is.
   * @default realClock()
   */
  clock?: Clock;
  /** Encrypt and authenticate every packet with this keyring. @default none (plaintext) */
  keyring?: GossipKeyring;
  /**
   * Called with each new incarnation; persist it and pass it back as
   * `incarnation` after a restart. Failures are reported as `error` events.
   * @default none
   */
  onIncarnation?: (incarnation: number) => void | Promise<void>;
  /**
   * How long `leave()` keeps gossiping the departure before stopping.
   * @default 3 gossip intervals per ⌈log2 n⌉, at least 1 s
   */
  leaveTimeoutMs?: number;
  /**
   * How long the promise of `join()` waits for a seed's answer before it
   * rejects with a `TimeoutError` (the join itself keeps retrying, backing
   * off to one attempt every 30 s, and may still succeed).
   * @default 10 probe intervals
   */
  joinTimeoutMs?: number;
}

/** The events of a {@link GossipNode}, by name. */
export interface GossipNodeEvents {
  /** A member became known or came back. */
  join: [member: MemberInfo];
  /** A live member's address or metadata changed. */
  update: [member: MemberInfo];
  /** A member is suspected. */
  suspect: [member: MemberInfo];
  /** A suspected member refuted. */
  alive: [member: MemberInfo];
  /** A member was declared dead. */
  dead: [member: MemberInfo];
  /** A member left gracefully. */
  leave: [member: MemberInfo];
  /** The first answer to a join arrived from member `via`; `members` are known alive (this one included). */
  joined: [via: string, members: number];
  /** A user broadcast arrived. */
  broadcast: [payload: Uint8Array, from: string];
  /** An entry of a member's key/value table changed (`null`: deleted). */
  kv: [owner: string, key: string, value: Uint8Array | null];
  /**
   * A non-fatal failure (persisting an incarnation, a transport send), or an
   * `AuthError` when a member refused this one's join (a wrong or missing join secret).
   */
  error: [error: unknown];
}

/** A `join()` promise waiting for the first answer. */
interface JoinWaiter {
  resolve(members: number): void;
  reject(err: Error): void;
  readonly timer: TimerHandle;
}

/** Packet counters of the driver. */
export interface GossipNodeStats {
  /** Packets that failed to decode or validate. */
  malformed: number;
  /** Packets that failed to decrypt (wrong key, tampered, other cluster). */
  unauthenticated: number;
  /** Packets of another cluster id. */
  wrongCluster: number;
  /** Encrypted packets whose nonce was seen before (replays), dropped. */
  replayed: number;
  /** Packets received over the transport's reliable stream (before any check). */
  streamIn: number;
  /** Of those, packets that failed to decode or validate (also counted in `malformed`). */
  streamMalformed: number;
}

/**
 * A member of a gossip cluster.
 *
 * @example
 * ```ts
 * const net = new MemoryGossipNetwork();
 * const a = new GossipNode({ id: 'a', transport: net.transport('a') });
 * const b = new GossipNode({ id: 'b', transport: net.transport('b') });
 * b.on('join', (m) => console.log('b sees', m.id));
 * await a.start();
 * await b.start(['a']);
 * ```
 */
export class GossipNode extends EventEmitter<GossipNodeEvents> {
  /** Driver counters. */
  readonly stats: GossipNodeStats = { malformed: 0, unauthenticated: 0, wrongCluster: 0, replayed: 0, streamIn: 0, streamMalformed: 0 };
  private readonly core: GossipCore;
  private readonly clock: Clock;
  /** Added to the clock's time for the core: wall-clock aligned with the default clock (see `clock`). */
  private readonly timeBase: number;
  private readonly transport: GossipTransport;
  private readonly keyring: GossipKeyring | undefined;
  private readonly aad: Uint8Array;
  /** The cluster id our envelopes carry: none when encrypted (it is the associated data, checked by decryption). */
  private readonly wireClusterId: string;
  private readonly replays = new ReplayCache();
  private timer: TimerHandle | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private running = false;
  private crypting = 0;
  /** Promises of `join()` calls waiting for the first answer. */
  private joinWaiters: JoinWaiter[] = [];

  constructor(private readonly options: GossipNodeOptions) {
    super();
    if (options === null || typeof options !== 'object' || typeof options.transport?.send !== 'function') {
      throw new InvalidConfigError('transport: expected a GossipTransport, got ' + typeof options?.transport);
    }
    const jt = options.joinTimeoutMs;
    if (jt !== undefined && !(typeof jt === 'number' && Number.isFinite(jt) && jt > 0)) throw new InvalidConfigError(`joinTimeoutMs: expected a positive number of ms, got ${String(jt)}`);
    this.transport = options.transport;
    this.clock = options.clock ?? realClock();
    this.timeBase = options.clock === undefined ? Math.floor(performance.timeOrigin) : 0;
    this.keyring = options.keyring;
    // The core takes only its own options; the adapters stay here.
    const { transport: _t, clock: _c, keyring: _k, onIncarnation: _o, leaveTimeoutMs: _l, joinTimeoutMs: _j, ...core } = options;
    // Without a stream nothing may be built larger than a datagram.
    const maxStreamBytes = this.transport.sendStream === undefined ? 0 : (options.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES);
    this.core = new GossipCore({ ...core, maxStreamBytes, address: this.transport.address }, {
      encrypted: this.keyring !== undefined,
    });
    this.aad = new TextEncoder().encode(this.core.options.clusterId);
    this.wireClusterId = this.keyring === undefined ? this.core.options.clusterId : '';
  }

  /** This member's id. */
  get id(): string {
    return this.core.options.id;
  }

  /**
   * The protocol core's counters: packets and bytes sent (encryption
   * included when there is a keyring), suspicions, refutations, refusals.
   *
   * @example
   * ```ts
   * const { bytesOut, packetsOut } = node.coreStats;
   * ```
   */
  get coreStats(): Readonly<GossipCoreStats> {
    return this.core.stats;
  }

  /** Encryptions and decryptions in flight (lets virtual-time tests wait for WebCrypto). */
  get pendingCrypto(): number {
    return this.crypting;
  }

  /** Lifeguard local health (0 is healthy). */
  get health(): number {
    return this.core.health;
  }

  /**
   * Start, then join through `seeds` (addresses) if given, without waiting
   * for an answer (call `join()` to wait for one).
   */
  async start(seeds: readonly string[] = []): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.transport.onPacket((p, from, stream) => this.onPacket(p, from, stream === true));
    this.apply(this.core.start(this.now()));
    if (seeds.length > 0) void this.join(seeds);
  }

  /**
   * Contact seeds (addresses) for their member tables. Resolves with the
   * number of members known alive once the first seed answered; rejects
   * with a `TimeoutError` after `joinTimeoutMs` if none did (the attempts go
   * on in the background), with `InvalidInputError` if no seed other than
   * this member's own address is given, and with `StoppedError` if the node
   * stops first. A refusal for lack of a valid join secret is an `error`
   * event. Ignoring the promise is safe: its rejection is never unhandled.
   *
   * @example
   * ```ts
   * await node.start();
   * const members = await node.join(['10.0.0.1:7946', '10.0.0.2:7946']);
   * ```
   */
  join(seeds: readonly string[]): Promise<number> {
    this.ensureRunning();
    const others = Array.isArray(seeds) ? seeds.filter((a) => typeof a === 'string' && a !== this.transport.address) : [];
    if (others.length === 0) return handled(Promise.reject(new InvalidInputError(`seeds: expected addresses other than this member's own (${this.transport.address})`)));
    const joined = new Promise<number>((resolve, reject) => {
      const timeoutMs = this.options.joinTimeoutMs ?? 10 * this.core.options.probeIntervalMs;
      const w: JoinWaiter = {
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.joinWaiters = this.joinWaiters.filter((x) => x !== w);
          reject(new TimeoutError(`No seed answered the join within ${timeoutMs} ms (still retrying in the background)`));
        }, timeoutMs),
      };
      this.joinWaiters.push(w);
    });
    this.apply(this.core.join(others, this.now()));
    return handled(joined);
  }

  /** Send `payload` to every member (fragmented if large); rejects payloads above `maxUserPayloadBytes`. */
  broadcast(payload: Uint8Array): void {
    this.ensureRunning();
    this.apply(this.core.broadcast(payload, this.now()));
  }

  /** Publish new metadata. */
  setMeta(meta: Uint8Array): void {
    this.ensureRunning();
    this.apply(this.core.setMeta(meta, this.now()));
  }

  /** Set (or with `null` delete) an entry of this member's replicated key/value table. */
  setKv(key: string, value: Uint8Array | null): void {
    this.ensureRunning();
    this.apply(this.core.setKv(key, value, this.now()));
  }

  /** A member's key/value table as seen here. */
  kv(owner: string): Map<string, Uint8Array> {
    return this.core.kv(owner);
  }

  /** Every known member, this one included. */
  members(): MemberInfo[] {
    return this.core.members();
  }

  /** Members currently alive (this one included). */
  aliveMembers(): MemberInfo[] {
    return this.core.members().filter((m) => m.state === 'alive');
  }

  /** One member's record. */
  member(id: string): MemberInfo | undefined {
    return this.core.member(id);
  }

  /** Announce departure, keep gossiping it for `leaveTimeoutMs`, then stop. */
  async leave(): Promise<void> {
    if (!this.running) return;
    this.apply(this.core.leave(this.now()));
    const n = Math.max(2, this.core.liveCount);
    const wait = this.options.leaveTimeoutMs ?? Math.max(1000, 3 * this.core.options.gossipIntervalMs * Math.ceil(Math.log2(n)));
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait));
    await this.stop();
  }

  /** Stop at once (no announcement: others will find this member dead). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.settleJoins((w) => w.reject(new StoppedError('The gossip node stopped before a seed answered the join')));
    await this.transport.close();
  }

  private ensureRunning(): void {
    if (!this.running) throw new StoppedError('The gossip node is not running');
  }

  private onPacket(packet: Uint8Array, from: string, stream: boolean): void {
    if (!this.running) return;
    if (stream) this.stats.streamIn++;
    if (this.keyring === undefined) {
      this.handlePlain(packet, from, stream);
      return;
    }
    this.crypting++;
    this.keyring.decrypt(packet, this.aad).then(
      (plain) => {
        if (plain === null) this.stats.unauthenticated++;
        // Only an authenticated packet's nonce is remembered: forged ones cannot fill the cache.
        else if (this.replays.check(packet.subarray(1, 1 + NONCE_BYTES))) this.stats.replayed++;
        else this.handlePlain(plain, from, stream);
      },
      (e: unknown) => this.emit('error', e),
    ).finally(() => this.crypting--);
  }

  private handlePlain(bytes: Uint8Array, from: string, stream: boolean): void {
    if (!this.running) return;
    const o = this.core.options;
    let env: GossipEnvelope;
    try {
      env = decodeGossipPacket(bytes, { maxPacketBytes: stream ? o.maxStreamBytes : o.maxPacketBytes, maxMetaBytes: o.maxMetaBytes });
    } catch {
      this.stats.malformed++;
      if (stream) this.stats.streamMalformed++;
      return;
    }
    if (env.clusterId !== this.core.options.clusterId && env.clusterId !== this.wireClusterId) {
      this.stats.wrongCluster++;
      return;
    }
    this.apply(this.core.receive(env.from, env.msgs, this.now(), from));
  }

  /** Send packets, emit events, re-arm the timer. */
  /** The core's time: the clock's, on the wall-clock time base with the default clock. */
  private now(): number {
    return this.clock.now() + this.timeBase;
  }

  private apply(out: GossipOutput): void {
    for (const p of out.packets) this.sendPacket(p.addr, encodeGossipPacket(this.wireClusterId, this.id, p.msgs), p.stream === true);
    for (const ev of out.events) this.emitEvent(ev);
    this.arm();
  }

  private sendPacket(addr: string, plain: Uint8Array, stream: boolean): void {
    if (this.keyring === undefined) {
      this.trySend(addr, plain, stream);
      return;
    }
    this.crypting++;
    this.keyring.encrypt(plain, this.aad)
      .then((c) => this.trySend(addr, c, stream), (e: unknown) => this.emit('error', e))
      .finally(() => this.crypting--);
  }

  private trySend(addr: string, bytes: Uint8Array, stream: boolean): void {
    if (!this.running) return;
    try {
      if (stream && this.transport.sendStream !== undefined) this.transport.sendStream(addr, bytes);
      else this.transport.send(addr, bytes);
    } catch (e) {
      this.emit('error', e);
    }
  }

  private emitEvent(ev: GossipEvent): void {
    switch (ev.type) {
      case 'broadcast': this.emit('broadcast', ev.payload, ev.from); return;
      case 'kv': this.emit('kv', ev.owner, ev.key, ev.value); return;
      case 'incarnation': this.persist(ev.incarnation); return;
      case 'refused': this.emit('error', new AuthError(`Join refused by ${ev.by}: this member holds no valid join-secret proof (a wrong or missing joinSecret)`)); return;
      case 'joined':
        this.settleJoins((w) => w.resolve(ev.members));
        this.emit('joined', ev.via, ev.members);
        return;
      default: this.emit(ev.type, ev.member);
    }
  }

  private settleJoins(settle: (w: JoinWaiter) => void): void {
    const waiters = this.joinWaiters;
    this.joinWaiters = [];
    for (const w of waiters) {
      this.clock.clearTimeout(w.timer);
      settle(w);
    }
  }

  private persist(incarnation: number): void {
    const cb = this.options.onIncarnation;
    if (cb === undefined) return;
    try {
      Promise.resolve(cb(incarnation)).catch((e: unknown) => this.emit('error', e));
    } catch (e) {
      this.emit('error', e);
    }
  }

  private arm(): void {
    if (!this.running) return;
    const next = this.core.nextDeadline();
    if (next >= this.timerAt || next === Number.POSITIVE_INFINITY) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      if (this.running) this.apply(this.core.tick(this.now()));
    }, Math.max(0, next - this.now()));
  }
}

/** `p` with a no-op handler attached: a caller that ignores it gets no unhandled rejection; one that awaits it still sees the error. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
