/**
 * The pure gossip core: SWIM + Lifeguard + piggyback dissemination +
 * anti-entropy, as a deterministic state machine. It never reads a clock,
 * never does I/O and never calls Math.random: time comes in as `now`
 * arguments, randomness from an injected seeded PRNG, and every call
 * returns the packets to send and the events that happened.
 * @module
 */
import type { GossipMsg, PingMsg, UpdateMsg } from '../codec/gossip.js';
import { createPrng, type Prng } from '../util/prng.js';
import { resolveGossipOptions, type GossipOptions, type ResolvedGossipOptions } from './config.js';
import { CoreContext, type GossipCoreStats, type OutPacket } from './context.js';
import type { GossipEvent } from './events.js';
import { housekeepBulk, onHave, onWant } from './bulk.js';
import type { JoinAuthenticator } from './join-secret.js';
import { ALIVE, DEAD, IdInterner, LEFT, SUSPECT, type MemberInfo } from './members.js';
import { mergeAlive, mergeDead, mergeDeadRowAboutLive, mergeSuspect, selfAlive, type MergeMode } from './merge.js';
import { onDigest } from './digest.js';
import { onAck, onNack, onPing, onPingReq, startProbe } from './probe.js';
import { answerAccuser, isNoticeFromAccuser } from './quiet.js';
import { followUp, onSyncReq, onSyncResp, resyncAfterDeath, startSync } from './sync.js';
import { broadcast, housekeep, kvOf, onKv, onUser, setKv } from './user.js';

export type { OutPacket, GossipCoreStats } from './context.js';

/** What a core call produced: packets to send and events to report. */
export interface GossipOutput {
  /** Packets to hand to the transport, in order. */
  packets: OutPacket[];
  /** Events, in the order they happened. */
  events: GossipEvent[];
}

/** Optional collaborators of a {@link GossipCore}. */
export interface GossipCoreDeps {
  /** The randomness source (default: seeded from `options.seed`). */
  prng?: Prng;
  /** Id interning shared by many cores of one simulation, to save memory (default: a private one). */
  interner?: IdInterner;
  /** Signs and checks join-secret proofs (default: HMAC-SHA-256 over `options.joinSecret`, if set). */
  joinAuthenticator?: JoinAuthenticator;
  /**
   * The driver encrypts every packet with a keyring (as `GossipNode` does
   * when given one): the core reserves and counts the 29 bytes encryption
   * adds, and the envelope goes without the cluster id, which is the
   * encryption's associated data (a packet of another cluster fails to
   * decrypt). @default false
   */
  encrypted?: boolean;
}

/**
 * One member's gossip state machine.
 *
 * @example
 * ```ts
 * const core = new GossipCore({ id: 'a' });
 * let out = core.start(0);
 * out = core.join(['b'], 0);            // send out.packets
 * out = core.tick(core.nextDeadline()); // when the next deadline comes
 * ```
 */
export class GossipCore {
  private readonly c: CoreContext;
  private started = false;
  /** A `join` waits for its first answer (reported once as a `joined` event). */
  private joinPending = false;

  constructor(options: GossipOptions | ResolvedGossipOptions, deps: GossipCoreDeps = {}) {
    const opts = resolveGossipOptions(options);
    this.c = new CoreContext(opts, deps.prng ?? createPrng(opts.seed), deps.interner ?? new IdInterner(), deps.joinAuthenticator, deps.encrypted === true);
  }

  /** The resolved options. */
  get options(): ResolvedGossipOptions {
    return this.c.opts;
  }

  /** This member's current incarnation. */
  get incarnation(): number {
    return this.c.table.incarnation(this.c.self);
  }

  /** Lifeguard local health score (0 is healthy). */
  get health(): number {
    return this.c.awareness.score;
  }

  /** Counters. */
  get stats(): Readonly<GossipCoreStats> {
    return this.c.stats;
  }

  /** Number of alive or suspect members, this one included. */
  get liveCount(): number {
    return this.c.table.liveCount;
  }

  /** Updates waiting to be piggybacked (system, user). */
  get queued(): {
    /** Membership and key/value updates waiting. */
    system: number;
    /** User broadcast fragments waiting. */
    user: number;
  } {
    return { system: this.c.system.size, user: this.c.user.size };
  }

  /** Start: become alive one incarnation above the persisted one, and start the periodic work. */
  start(now: number): GossipOutput {
    const c = this.c;
    if (this.started) return this.flush();
    this.started = true;
    c.now = now;
    c.table.set(c.self, ALIVE, c.opts.incarnation + 1, now);
    // Our start incarnation spreads first-hand through the seeds we join, as any join does.
    c.publicInc = c.opts.incarnation + 1;
    c.table.setAddress(c.self, c.opts.address);
    c.table.setMeta(c.self, c.opts.meta);
    c.events.push({ type: 'incarnation', incarnation: c.opts.incarnation + 1 });
    // Spread the periodic work over one period so members started together do not beat in step.
    c.at(now + c.rng.int(c.opts.probeIntervalMs), () => startProbe(c));
    c.at(now + c.rng.int(c.opts.gossipIntervalMs), () => this.gossipRound());
    if (c.opts.pushPullIntervalMs > 0) c.at(now + c.rng.int(c.opts.pushPullIntervalMs), () => startSync(c, c.sync));
    c.at(now + c.opts.probeIntervalMs * 10, () => this.housekeeping());
    return this.flush();
  }

  /**
   * Load members as known alive at incarnation 1 without any events or
   * broadcasts, as after a finished bootstrap: how simulators start large
   * clusters cheaply. Not for production use (it skips the merge rules).
   * @internal
   */
  preload(ids: readonly string[], now: number): void {
    const c = this.c;
    for (const id of ids) {
      const i = c.table.ids.intern(id);
      if (i === c.self || c.table.state(i) !== 0) continue;
      c.table.set(i, ALIVE, 1, now);
      // Their own signed records, as a finished bootstrap would have brought.
      if (c.join !== null) c.join.remember(i, c.join.sign({ id, inc: 1, addr: c.table.address(i), meta: c.table.meta(i) }));
    }
  }

  /**
   * {@link GossipCore.preload} by copy: take the rows of `template`, a core
   * (sharing this one's interner) that was preloaded with the same ids, as
   * known alive at incarnation 1, and keep this member's own row. One memory
   * copy instead of a row write per member: how a 10,000-member simulation
   * starts in seconds. Falls back to a plain preload with a join secret (each
   * row then carries a signed record). Not for production use.
   * @internal
   */
  preloadFrom(template: GossipCore, ids: readonly string[], now: number): void {
    const c = this.c;
    if (c.join !== null || template.c.table.ids !== c.table.ids) return this.preload(ids, now);
    const t = c.table;
    const [state, inc] = [t.state(c.self), t.incarnation(c.self)];
    t.copyRowsFrom(template.c.table);
    t.set(template.c.self, ALIVE, 1, now);
    t.set(c.self, state, inc, now);
  }

  /**
   * Contact seed members (by address): a full two-way table exchange with
   * each, and a second small packet with just our record (so the seeds start
   * spreading the news even if the request is lost; both go again with each
   * of the quick retries). Retried every probe
   * timeout four times, then with backoff (2, 4 … probe intervals, at most 30 s)
   * until an answer arrives, so a lost packet or a seed that is not up yet
   * does not leave it alone; parts of the answer lost on the way are then
   * asked for on their own.
   */
  join(addresses: readonly string[], now: number): GossipOutput {
    this.advance(now);
    const seeds = addresses.filter((a) => a !== this.c.opts.address);
    if (seeds.length > 0) this.joinPending = true;
    this.sendJoin(seeds, 0);
    followUp(this.c, this.c.sync, 15);
    return this.flush();
  }

  private sendJoin(seeds: readonly string[], attempt: number): void {
    const c = this.c;
    // Done once any answer arrived; lost parts of it are asked for as gaps (see sync.ts).
    if (seeds.length === 0 || c.leaving || (attempt > 0 && c.sync.cover.size > 0)) return;
    for (const addr of seeds) {
      c.send(addr, addr, [{ t: 'syncReq', epoch: c.sync.epoch, seq: c.table.seq, since: 0, sinceEpoch: 0, until: 0, reply: true }, selfAlive(c)], false);
      // The seed starts spreading the news when it hears of us: a second, small copy of our record
      // with each quick attempt makes a lost request delay that by a retry only 4% of the time at
      // 20% loss, not 20% (and by two retries 0.16% of the time, not 0.8%).
      if (attempt < 4) c.send(addr, addr, [selfAlive(c)], false);
    }
    // Quick retries first (an answer is due within a probe timeout, as an ack is): at 20% loss
    // four lost attempts in a row happen once in 600 joins. Then back off.
    const delay = attempt < 4 ? c.opts.probeTimeoutMs : Math.min(30_000, c.opts.probeIntervalMs * 2 ** (attempt - 3));
    c.at(c.now + delay, () => this.sendJoin(seeds, attempt + 1));
  }

  /** Run what is due at `now`. */
  tick(now: number): GossipOutput {
    this.advance(now);
    return this.flush();
  }

  /** When the core next needs a `tick` (core time), or Infinity. */
  nextDeadline(): number {
    return this.c.nextDue();
  }

  /**
   * Handle a decoded, validated packet from member `from` (whose packets
   * come from transport address `fromAddr`). Updates are merged before
   * control messages, so an ack already carries any refutation they caused.
   */
  receive(from: string, msgs: readonly GossipMsg[], now: number, fromAddr: string = from): GossipOutput {
    this.advance(now);
    const c = this.c;
    c.stats.packetsIn++;
    if (!this.started) return this.flush();
    const inSync = msgs.some((m) => m.t === 'syncResp' || (m.t === 'digest' && m.level === 3));
    // A notice riding on a probe comes from a suspicion the prober holds publicly (held ones are sent bare).
    const probing = msgs.some((m) => m.t === 'ping');
    for (const m of msgs) {
      if (!isUpdate(m)) continue;
      if (!probing && isNoticeFromAccuser(c, from, m)) answerAccuser(c, from, fromAddr, m);
      else if (m.t === 'alive' && c.quiet.answered(c, from, m)) continue;
      else this.merge(m, inSync ? (updateSubject(m) === from ? 'firstHand' : 'sync') : 'gossip', from, fromAddr);
    }
    const claim = claimAboutSelf(c, msgs);
    for (const m of msgs) if (!isUpdate(m)) this.control(from, fromAddr, m, claim);
    // A sender that holds us dead and says so without probing us (an ack to its reconnect ping,
    // anti-entropy) hears our current record straight back: across a healed partition that one
    // answer revives us on its side, where our gossip does not reach while we count it dead too.
    if (claim === DEAD && !probing && !c.leaving) c.send(from, fromAddr, [selfAlive(c)], false);
    if (claim === DEAD) resyncAfterDeath(c, c.sync);
    if (this.joinPending && msgs.some((m) => m.t === 'syncResp')) {
      this.joinPending = false;
      c.events.push({ type: 'joined', via: from, members: c.table.liveCount });
    }
    return this.flush();
  }

  /** Queue a user broadcast (any size up to `maxUserPayloadBytes`); throws InvalidInputError if larger. */
  broadcast(payload: Uint8Array, now: number): GossipOutput {
    this.advance(now);
    broadcast(this.c, this.c.userData, payload);
    return this.flush();
  }

  /** Publish new metadata (raises the incarnation so it wins everywhere). */
  setMeta(meta: Uint8Array, now: number): GossipOutput {
    this.advance(now);
    const c = this.c;
    const inc = c.table.incarnation(c.self) + 1;
    c.table.setMeta(c.self, meta);
    c.table.set(c.self, ALIVE, inc, now);
    c.events.push({ type: 'incarnation', incarnation: inc });
    c.queueSystem(c.opts.id, selfAlive(c));
    return this.flush();
  }

  /** Set (or delete, with `null`) an entry of this member's replicated key/value table. */
  setKv(key: string, value: Uint8Array | null, now: number): GossipOutput {
    this.advance(now);
    setKv(this.c, this.c.userData, key, value);
    return this.flush();
  }

  /** A member's key/value table as this member sees it. */
  kv(owner: string): Map<string, Uint8Array> {
    return kvOf(this.c, this.c.userData, owner);
  }

  /** Leave gracefully: announce it; keep ticking a few gossip rounds so the news spreads, then stop. */
  leave(now: number): GossipOutput {
    this.advance(now);
    const c = this.c;
    const inc = c.table.incarnation(c.self);
    c.leaving = true;
    c.table.set(c.self, LEFT, inc, now);
    c.queueSystem(c.opts.id, { t: 'dead', id: c.opts.id, inc, by: c.opts.id, left: true });
    return this.flush();
  }

  /** One member's record, or undefined if unknown. */
  member(id: string): MemberInfo | undefined {
    const i = this.c.table.ids.lookup(id);
    return i === undefined || this.c.table.state(i) === 0 ? undefined : this.c.table.info(i);
  }

  /** Every known member (this one included), any state. */
  members(): MemberInfo[] {
    return this.c.table.known.toArray().map((i) => this.c.table.info(i));
  }

  /** Raw state code of `id` (0 unknown, 1 alive, 2 suspect, 3 dead, 4 left): cheap, for simulators. */
  stateOf(id: string): number {
    const i = this.c.table.ids.lookup(id);
    return i === undefined ? 0 : this.c.table.state(i);
  }

  private advance(now: number): void {
    const c = this.c;
    if (now > c.now) c.now = now;
    c.runDue(c.now);
  }

  private flush(): GossipOutput {
    const c = this.c;
    const out = { packets: c.out, events: c.events };
    c.out = [];
    c.events = [];
    return out;
  }

  private merge(m: UpdateMsg, mode: MergeMode, from: string, fromAddr: string): void {
    const c = this.c;
    switch (m.t) {
      case 'alive': return mergeAlive(c, m, mode);
      case 'suspect': return mergeSuspect(c, m, mode);
      case 'dead': return mode === 'sync' && !m.left && this.holdsLive(m.id) ? mergeDeadRowAboutLive(c, m, from) : mergeDead(c, m, mode);
      case 'user': return this.admitted(m.origin) ? onUser(c, c.userData, m) : undefined;
      case 'kv': return onKv(c, c.userData, m, mode);
      case 'have': return this.admitted(m.owner) ? onHave(c, c.userData, from, fromAddr, m) : undefined;
    }
  }

  /**
   * Whether we hold `id` alive or suspect. A table row saying such a member is
   * dead is old news more often than not (the other half of a healed
   * partition declared everyone here dead): merged as a suspicion, as
   * memberlist merges push-pull state, it is refuted by a live member before
   * anyone drops it, instead of killing half the cluster in a cascade of
   * refutations.
   */
  private holdsLive(id: string): boolean {
    const i = this.c.table.ids.lookup(id);
    return i !== undefined && i !== this.c.self && this.c.table.isLive(i);
  }

  /** Whether `id` may be heard from: always without a join secret, else only if listed (any state). Counts refusals. */
  private admitted(id: string): boolean {
    const c = this.c;
    if (c.join === null) return true;
    const i = c.table.ids.lookup(id);
    if (i !== undefined && c.table.state(i) !== 0) return true;
    c.stats.notAdmitted++;
    return false;
  }

  /**
   * With a join secret, a sender we do not list gets no gossip and no
   * service: its join request is refused (with a notice), a ping gets a bare
   * ack, a ping-req or pull is ignored. Answers to our own requests (acks,
   * nacks, sync parts, refusals) go on as usual: their contents are checked
   * record by record. Returns whether `m` was dealt with here.
   */
  private refuseUnlisted(from: string, fromAddr: string, m: GossipMsg): boolean {
    const c = this.c;
    if (c.join === null || m.t === 'ack' || m.t === 'nack' || m.t === 'syncResp' || m.t === 'refused') return false;
    if (m.t === 'ping') return this.bareAck(from, fromAddr, m);
    if (this.admitted(from)) return false;
    if (m.t === 'syncReq') c.send(from, fromAddr, [{ t: 'refused' }], false);
    return true;
  }

  private bareAck(from: string, fromAddr: string, m: PingMsg): boolean {
    const i = this.c.table.ids.lookup(from);
    if (i !== undefined && this.c.table.state(i) !== 0) return false;
    if (m.target === this.c.opts.id) this.c.send(from, fromAddr, [{ t: 'ack', seq: m.seq }], false);
    return true;
  }

  /**
   * A peer refused our request for lack of a valid join proof. While joining
   * that is final news for the user (a wrong or missing secret); later it
   * means the peer forgot us, so our signed record is sent to be listed again.
   */
  private onRefused(from: string, fromAddr: string): void {
    const c = this.c;
    if (c.sync.cover.size === 0) c.events.push({ type: 'refused', by: from });
    else c.send(from, fromAddr, [selfAlive(c)], false);
  }

  private control(from: string, fromAddr: string, m: GossipMsg, claim: number): void {
    const c = this.c;
    if (this.refuseUnlisted(from, fromAddr, m)) return;
    switch (m.t) {
      case 'ping': return onPing(c, from, fromAddr, m, claim !== 0);
      case 'ack': return onAck(c, m);
      case 'nack': return onNack(c, m);
      case 'pingReq': return onPingReq(c, from, fromAddr, m);
      case 'syncReq': return onSyncReq(c, c.sync, from, fromAddr, m);
      case 'syncResp': return onSyncResp(c, c.sync, from, fromAddr, m);
      case 'digest': return onDigest(c, from, fromAddr, m);
      case 'want': return onWant(c, c.userData, from, fromAddr, m);
      case 'refused': return this.onRefused(from, fromAddr);
      default: return;
    }
  }

  /**
   * Push queued updates to `gossipFanout` random live members. If news
   * that has not been sent even once is still waiting after that (a burst:
   * a mass join, a restart wave), up to `gossipFanout` more members get a
   * packet, so a burst drains in a few rounds instead of queueing for tens
   * of seconds; steady state never pays for it.
   */
  private gossipRound(): void {
    const c = this.c;
    c.at(c.now + c.opts.gossipIntervalMs, () => this.gossipRound());
    // Rounds push news through its first third of transmissions; the rest ride on probe traffic,
    // whose packets are sent anyway (a gossip packet's envelope costs more than the news in it).
    const eager = Math.ceil(c.transmitLimit() / 3);
    if (c.system.countBelow(eager) === 0 && c.user.countBelow(eager) === 0) return;
    const t = c.table;
    const targets = c.pickRandom(c.opts.gossipFanout * 2, (j) => t.isLive(j));
    for (let k = 0; k < targets.length; k++) {
      // Stop once every item had its eager sends: a lone item costs exactly `eager` packets, not a
      // whole number of rounds of `gossipFanout` (the extra ones carried nothing else new).
      if (k > 0 && c.system.countBelow(eager) === 0 && c.user.countBelow(eager) === 0) break;
      if (!c.hasQueued() || (k >= c.opts.gossipFanout && c.system.fresh === 0 && c.user.fresh === 0)) break;
      c.send(c.idOf(targets[k]!), t.address(targets[k]!), []);
    }
  }

  private housekeeping(): void {
    const c = this.c;
    c.at(c.now + c.opts.probeIntervalMs * 10, () => this.housekeeping());
    housekeep(c, c.userData);
    housekeepBulk(c);
    const t = c.table;
    const horizon = c.now - c.opts.reconnectTimeoutMs;
    // Backwards, so forgetting (which removes from `known`) never skips a row; no copy of the list.
    for (let k = t.known.length - 1; k >= 0; k--) {
      const i = t.known.get(k);
      if (i === c.self || t.isLive(i) || t.changedAtOf(i) >= horizon) continue;
      t.forget(i);
      c.join?.forget(i);
    }
  }
}

/** The gravest claim a packet makes that we are not alive (SUSPECT or DEAD, including left), or 0. */
function claimAboutSelf(c: CoreContext, msgs: readonly GossipMsg[]): number {
  let claim = 0;
  for (const m of msgs) {
    if (m.t === 'dead' && m.id === c.opts.id) claim = DEAD;
    else if (m.t === 'suspect' && m.id === c.opts.id && claim === 0) claim = SUSPECT;
  }
  return claim;
}

function isUpdate(m: GossipMsg): m is UpdateMsg {
  return m.t === 'alive' || m.t === 'suspect' || m.t === 'dead' || m.t === 'user' || m.t === 'kv' || m.t === 'have';
}

function updateSubject(m: UpdateMsg): string {
  switch (m.t) {
    case 'alive': case 'suspect': case 'dead': return m.id;
    case 'user': return m.origin;
    case 'kv': case 'have': return m.owner;
  }
}
