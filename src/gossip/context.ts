/**
 * The gossip core's shared state and its low-level helpers: the internal
 * timer heap (the core has no clock; `tick(now)` runs what is due), the
 * outbox with piggybacking, the event list and the counters. The protocol
 * modules (probe, merge, sync, user) are functions over this context.
 * @internal
 * @module
 */
import { ENCRYPTION_OVERHEAD } from './keyring.js';
import { envelopeSize, estimateSize, type GossipMsg, type UpdateMsg } from '../codec/gossip.js';
import { TimeHeap } from '../util/heap.js';
import type { Prng } from '../util/prng.js';
import { Awareness } from './awareness.js';
import { BroadcastQueue, retransmitBudget } from './broadcast-queue.js';
import type { ResolvedGossipOptions } from './config.js';
import { BulkState } from './bulk.js';
import type { GossipEvent } from './events.js';
import { hmacJoinAuthenticator, JoinGate, type JoinAuthenticator } from './join-secret.js';
import type { IntList } from './int-list.js';
import { IdInterner, MemberTable } from './members.js';
import { QuietSuspicions } from './quiet.js';
import type { Suspicion } from './suspicion.js';
import { SyncState } from './sync.js';
import { UserState } from './user.js';

/** A packet the core wants sent. */
export interface OutPacket {
  /** Recipient id (for logging and the simulator). */
  to: string;
  /** Recipient address (what the transport sends to). */
  addr: string;
  /** The messages, primary first, then piggybacked updates. */
  msgs: GossipMsg[];
  /** Send over the transport's reliable stream: the packet is larger than a datagram (see `maxStreamBytes`). */
  stream?: true;
}

/** Counters a core keeps; all only grow. */
export interface GossipCoreStats {
  /** Packets the core handed out for sending. */
  packetsOut: number;
  /** Estimated bytes of those packets (upper bound: the envelope, and encryption when the driver encrypts). */
  bytesOut: number;
  /** Packets passed to the core's `receive`. */
  packetsIn: number;
  /** Messages ignored as stale or unexpected (late acks, old incarnations, pings for another id). */
  stale: number;
  /** Times this member refuted a suspicion or death about itself. */
  refutes: number;
  /** Members this member suspected itself (after a failed probe). */
  suspected: number;
  /** Members this member declared dead itself (suspicion timed out; leaves excluded). */
  declaredDead: number;
  /** Alive records dropped for a missing or invalid join-secret proof (with a join secret only). */
  joinRefused: number;
  /** Requests (join, ping-req, pulls) and broadcasts from members not listed here, refused (with a join secret only). */
  notAdmitted: number;
  /** Packets handed out for the reliable stream (included in `packetsOut`). */
  streamPacketsOut: number;
}

interface Timer { at: number; seq: number; fn: () => void; cancelled: boolean }

/** In-flight direct probe of one member. */
export interface ProbeState {
  target: number;
  seq: number;
  acked: boolean;
  nacks: number;
  expectedNacks: number;
  /** Concluded (acked, or every relay nacked, or the round ended). */
  done: boolean;
}

/** In-flight relayed probe (we were asked by `origin` to ping someone). */
export interface RelayState { origin: string; originAddr: string; originSeq: number; acked: boolean }

/** Shared state of one gossip core. */
export class CoreContext {
  readonly table: MemberTable;
  readonly self: number;
  readonly awareness: Awareness;
  readonly system = new BroadcastQueue();
  readonly user = new BroadcastQueue();
  readonly suspicions = new Map<number, Suspicion>();
  /** Suspicions we started and keep to ourselves for a moment (see quiet.ts). */
  readonly quiet = new QuietSuspicions();
  /** The highest incarnation of our own alive record we have gossiped (a private refutation is not). */
  publicInc = 0;
  readonly relays = new Map<number, RelayState>();
  readonly sync: SyncState;
  readonly userData: UserState;
  readonly stats: GossipCoreStats = { packetsOut: 0, bytesOut: 0, packetsIn: 0, stale: 0, refutes: 0, suspected: 0, declaredDead: 0, joinRefused: 0, notAdmitted: 0, streamPacketsOut: 0 };
  /** Admission control, when a join secret (or authenticator) is set. */
  readonly join: JoinGate | null;
  /** Large payloads pulled over the reliable stream. */
  readonly bulk = new BulkState();
  /** Our probes in flight, by sequence number (several when timeouts stretched by poor health overlap the period). */
  readonly probes = new Map<number, ProbeState>();
  seqNo = 0;
  leaving = false;
  now = 0;
  out: OutPacket[] = [];
  events: GossipEvent[] = [];
  private readonly timers = new TimeHeap<Timer>();
  private timerSeq = 0;
  private packetNo = 0;
  /** Bytes of every packet besides its messages: the envelope and the driver's per-packet overhead (encryption). */
  readonly envelope: number;

  constructor(
    readonly opts: ResolvedGossipOptions,
    readonly rng: Prng,
    ids: IdInterner,
    auth?: JoinAuthenticator,
    encrypted = false,
  ) {
    this.table = new MemberTable(ids);
    const authenticator = auth ?? (opts.joinSecret.length > 0 ? hmacJoinAuthenticator(opts.joinSecret) : undefined);
    this.join = authenticator === undefined ? null : new JoinGate(authenticator, opts.clusterId);
    this.self = ids.intern(opts.id);
    this.awareness = new Awareness(opts.awarenessMaxMultiplier);
    // An encrypted packet leaves the cluster id out: it is the associated data, so it is checked anyway.
    this.envelope = encrypted ? envelopeSize('', opts.id) + ENCRYPTION_OVERHEAD : envelopeSize(opts.clusterId, opts.id);
    // A fresh epoch per start tells peers our change log restarted (they then ask for all of it).
    this.sync = new SyncState(rng.int(0xffff_ffff));
    this.userData = new UserState(rng.int(0x7fff_ffff));
  }

  /** The id of member number `i`. */
  idOf(i: number): string {
    return this.table.ids.idOf(i);
  }

  /** Run `fn` at core time `at` (on the first `tick` at or after it). */
  at(at: number, fn: () => void): Timer {
    const t: Timer = { at, seq: this.timerSeq++, fn, cancelled: false };
    this.timers.push(t);
    return t;
  }

  /** Run every timer due at `now`. */
  runDue(now: number): void {
    for (;;) {
      const t = this.timers.peek();
      if (t === undefined || t.at > now) return;
      this.timers.pop();
      if (!t.cancelled) t.fn();
    }
  }

  /** When the next timer is due, or Infinity. */
  nextDue(): number {
    for (;;) {
      const t = this.timers.peek();
      if (t === undefined) return Number.POSITIVE_INFINITY;
      if (!t.cancelled) return t.at;
      this.timers.pop();
    }
  }

  /** The retransmit limit for the current cluster size. */
  transmitLimit(): number {
    return retransmitBudget(Math.max(2, this.table.liveCount), this.opts.retransmitDesignLoss, this.opts.retransmitTarget);
  }

  /** Queue a membership update for piggybacking (unless held back or made moot, see quiet.ts). */
  queueSystem(subject: string, msg: UpdateMsg): void {
    if (this.quiet.intercept(this, subject, msg)) return;
    if (subject === this.opts.id && msg.t === 'alive') this.publicInc = Math.max(this.publicInc, msg.inc);
    this.system.push(`m:${subject}`, msg);
  }

  /**
   * Send `primary` to `addr`, filling the rest of the packet with queued
   * updates. User broadcasts get `userShare` of the space first whenever
   * any are queued, then system updates, then users take what is left: so
   * neither kind can starve the other.
   */
  send(to: string, addr: string, primary: GossipMsg[], piggyback = true): void {
    let used = this.envelope;
    for (const m of primary) used += estimateSize(m);
    const msgs = primary;
    if (piggyback) {
      let space = this.opts.maxPacketBytes - used;
      const limit = this.transmitLimit();
      const before = msgs.length;
      const packet = ++this.packetNo;
      const pig = msgs as UpdateMsg[];
      if (this.user.size > 0) this.user.take(Math.floor(space * this.opts.userShare), 0, limit, pig, packet);
      space -= sizeOf(msgs, before);
      const mid = msgs.length;
      this.system.take(space, 0, limit, pig, packet);
      space -= sizeOf(msgs, mid);
      const tail = msgs.length;
      if (this.user.size > 0 && space > 64) this.user.take(space, 0, limit, pig, packet);
      space -= sizeOf(msgs, tail);
      used = this.opts.maxPacketBytes - space;
    }
    if (msgs.length === 0) return;
    this.stats.packetsOut++;
    this.stats.bytesOut += used;
    if (used > this.opts.maxPacketBytes && this.opts.maxStreamBytes > 0) {
      this.stats.streamPacketsOut++;
      this.out.push({ to, addr, msgs, stream: true });
    } else this.out.push({ to, addr, msgs });
  }

  /** Whether anything waits to be piggybacked. */
  hasQueued(): boolean {
    return this.system.size > 0 || this.user.size > 0;
  }

  /**
   * Members picked uniformly at random among those of `from` (default: every
   * known member) passing `ok`, at most `k`, without repeats.
   */
  pickRandom(k: number, ok: (i: number) => boolean, from: IntList = this.table.known): number[] {
    const picked: number[] = [];
    if (from.length === 0) return picked;
    // Rejection sampling with a bounded number of tries: cheap at 10,000 members, where a
    // filtered copy per gossip round would dominate the simulator's time.
    for (let tries = 0; picked.length < k && tries < k * 8 + 16; tries++) {
      const i = from.get(this.rng.int(from.length));
      if (i !== this.self && ok(i) && !picked.includes(i)) picked.push(i);
    }
    if (picked.length < k && from.length <= 64) {
      for (let j = 0; j < from.length && picked.length < k; j++) {
        const i = from.get(j);
        if (i !== this.self && ok(i) && !picked.includes(i)) picked.push(i);
      }
    }
    return picked;
  }
}

function sizeOf(msgs: GossipMsg[], from: number): number {
  let s = 0;
  for (let i = from; i < msgs.length; i++) s += estimateSize(msgs[i]!);
  return s;
}
