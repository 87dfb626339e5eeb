/**
 * SWIM failure detection with the Lifeguard refinements: round-robin probes
 * over a ring shared by all members (ring.ts), indirect probes through k relays that nack
 * when the target stays silent, a buddy notice to a suspect, awareness-
 * stretched timeouts, and reconnect pings to remembered dead members.
 * @internal
 * @module
 */
import type { AckMsg, GossipMsg, NackMsg, PingMsg, PingReqMsg, SuspectMsg } from '../codec/gossip.js';
import type { ResolvedGossipOptions } from './config.js';
import type { CoreContext, ProbeState } from './context.js';
import { ALIVE, DEAD, LEFT, SUSPECT } from './members.js';
import { mergeSuspect, recordOf, selfAlive } from './merge.js';

/**
 * How long the indirect phase of a probe lasts, after the direct timeout:
 * 0.6 · `probeTimeoutMs`, at most the rest of the protocol period. The
 * relay's own ping needs one round trip, which the direct probe was given
 * the whole timeout for; most of 0.6 of it (see {@link relayNackDelay})
 * still leaves a margin of two orders of magnitude on a LAN, and the rest
 * covers the two extra hops through the relay. Concluding here rather than
 * at the end of the period makes a crash suspected 0.2 s (LAN) sooner.
 */
export function indirectWindow(o: ResolvedGossipOptions): number {
  return Math.min(o.probeIntervalMs - o.probeTimeoutMs, Math.ceil(o.probeTimeoutMs * 0.6));
}

/** How long a relay waits for the target's ack before it nacks: 80% of the indirect window (Lifeguard), so the nack arrives in time. */
export function relayNackDelay(o: ResolvedGossipOptions): number {
  return Math.floor(indirectWindow(o) * 0.8);
}

/**
 * Start one probe round and schedule the next, every protocol period
 * whatever our health: the ring gives each member exactly one prober a
 * period, so a prober that skipped periods (as Lifeguard's stretched
 * interval would have it) leaves its targets unprobed for seconds. Poor
 * health stretches the timeouts instead, so probes may overlap. A suspect
 * to check goes on top of this period's ring target, not instead of it.
 */
export function startProbe(c: CoreContext): void {
  c.at(c.now + c.opts.probeIntervalMs, () => startProbe(c));
  if (c.leaving) return;
  if (c.rng.next() < c.opts.reconnectRatio) pingDead(c);
  const check = suspectToCheck(c);
  if (check !== undefined) probe(c, check);
  const target = c.table.ring.targetOf(c.self, Math.floor(c.now / c.opts.probeIntervalMs));
  if (target !== undefined && target !== check) probe(c, target);
}

/** Ping `target`, then ask relays after the (health-stretched) probe timeout, and conclude at the indirect deadline. */
function probe(c: CoreContext, target: number): void {
  const p: ProbeState = { target, seq: ++c.seqNo, acked: false, nacks: 0, expectedNacks: 0, done: false };
  c.probes.set(p.seq, p);
  const id = c.idOf(target);
  const msgs: GossipMsg[] = [{ t: 'ping', seq: p.seq, target: id }];
  // Buddy system: a suspect hears of its suspicion at once, from the prober, and can refute.
  if (c.table.state(target) === SUSPECT) msgs.push(recordOf(c, target));
  c.send(id, c.table.address(target), msgs);
  c.at(c.now + c.awareness.scale(c.opts.probeTimeoutMs), () => probeTimedOut(c, p));
  // Conclude at the indirect deadline, not at the next period: a crash is suspected that much sooner.
  c.at(c.now + c.awareness.scale(c.opts.probeTimeoutMs + indirectWindow(c.opts)), () => probeEnded(c, p));
}

/**
 * A suspect we must check once more before our own timer may declare it dead
 * (see `Suspicion.recheck`), or one someone else accused that wants our
 * independent check (see `Suspicion.wantsProbe`). The ring target (ring.ts)
 * is probed besides: every member is probed by exactly one other each
 * period, and each member probes every other once per `M − 1` periods.
 */
function suspectToCheck(c: CoreContext): number | undefined {
  for (const [i, s] of c.suspicions) {
    if (!s.recheck || c.table.state(i) !== SUSPECT) continue;
    s.recheck = false;
    return i;
  }
  // Only a member in good health confirms: a failed check of a dead member costs it awareness (missing
  // nacks at loss), and one that checked every suspect in a row after a mass crash would slow itself down.
  if (c.awareness.score === 0) for (const [i, s] of c.suspicions) {
    if (c.table.state(i) !== SUSPECT || !s.wantsProbe(c.opts.id)) continue;
    s.willCheck = false;
    return i;
  }
  return undefined;
}

/**
 * Ping one remembered dead member, telling it it is thought dead. If it is
 * back (a healed partition, a restart), it refutes at once and its ack
 * carries the new incarnation: no rejoin call needed.
 */
function pingDead(c: CoreContext): void {
  const t = c.table;
  const horizon = c.now - c.opts.reconnectTimeoutMs;
  const [i] = c.pickRandom(1, (j) => t.changedAtOf(j) >= horizon, t.down);
  if (i === undefined || t.state(i) === LEFT) return;
  const id = c.idOf(i);
  c.send(id, t.address(i), [{ t: 'ping', seq: ++c.seqNo, target: id }, recordOf(c, i)]);
}

/**
 * No direct ack in time: ask k relays to try, expecting their nacks if they
 * fail too, and ping once more directly (a second chance against loss, as
 * memberlist's TCP fallback is, without needing a stream).
 */
function probeTimedOut(c: CoreContext, p: ProbeState): void {
  if (p.done || c.probes.get(p.seq) !== p) return;
  const t = c.table;
  const id = c.idOf(p.target);
  const req: PingReqMsg = { t: 'pingReq', seq: p.seq, target: id, addr: t.address(p.target) };
  const relays = c.pickRandom(c.opts.indirectChecks, (i) => i !== p.target && t.state(i) === ALIVE);
  for (const r of relays) c.send(c.idOf(r), t.address(r), [req]);
  p.expectedNacks = relays.length;
  c.send(id, t.address(p.target), [{ t: 'ping', seq: p.seq, target: id }], false);
}

/**
 * Indirect deadline passed (or every relay nacked) without any ack: suspect the target. Missing nacks mean
 * our own links or CPU are the problem more than the target, so our
 * awareness score rises by the number missing (Lifeguard).
 */
function probeEnded(c: CoreContext, p: ProbeState): void {
  c.probes.delete(p.seq);
  if (p.done) return;
  p.done = true;
  c.awareness.apply(p.expectedNacks > 0 ? p.expectedNacks - p.nacks : 1);
  const t = c.table;
  const was = t.state(p.target);
  if (!t.isLive(p.target)) return;
  // Starts a suspicion, or confirms (independently) one we heard of.
  const notice: SuspectMsg = { t: 'suspect', id: c.idOf(p.target), inc: t.incarnation(p.target), by: c.opts.id };
  mergeSuspect(c, notice, 'gossip');
  // Every relay answered and none reached it, after the suspicion's timer ran out unconfirmed:
  // evidence a lone accuser may act on (see merge.ts).
  const s = c.suspicions.get(p.target);
  if (s !== undefined && c.now >= s.deadline() && p.expectedNacks > 0 && p.nacks >= p.expectedNacks) s.relaysNacked = true;
  // Buddy system: tell the suspect at once, so a live one refutes within a round trip.
  if (was === ALIVE) c.send(notice.id, t.address(p.target), [notice], false);
}

/** Answer a ping; a sender we think dead is told so, so it refutes. */
export function onPing(c: CoreContext, from: string, fromAddr: string, m: PingMsg, claimed = false): void {
  if (m.target !== c.opts.id) {
    c.stats.stale++;
    return;
  }
  const msgs: GossipMsg[] = [{ t: 'ack', seq: m.seq }];
  // The ping came with a claim that we are suspect or dead (a buddy notice, a reconnect ping): the
  // ack answers it with our current record, even once our refutation has left our own queue.
  if (claimed && !c.leaving) msgs.push(selfAlive(c));
  const i = c.table.ids.lookup(from);
  if (i !== undefined && c.table.state(i) === DEAD) msgs.push(recordOf(c, i));
  c.send(from, fromAddr, msgs);
}

/** An ack of our probe, or of a ping we relayed (forwarded to the origin). */
export function onAck(c: CoreContext, m: AckMsg): void {
  const p = c.probes.get(m.seq);
  if (p !== undefined) {
    if (!p.acked && !p.done) c.awareness.apply(-1);
    p.acked = true;
    p.done = true;
    c.probes.delete(m.seq);
    return;
  }
  const r = c.relays.get(m.seq);
  if (r === undefined || r.acked) {
    c.stats.stale++;
    return;
  }
  r.acked = true;
  c.send(r.origin, r.originAddr, [{ t: 'ack', seq: r.originSeq }]);
}

/** A relay's nack: the relay is fine, the target did not answer it either. All in: conclude now. */
export function onNack(c: CoreContext, m: NackMsg): void {
  const p = c.probes.get(m.seq);
  if (p === undefined || p.done) {
    c.stats.stale++;
    return;
  }
  p.nacks++;
  if (p.nacks >= p.expectedNacks) probeEnded(c, p);
}

/** Probe `target` on `from`'s behalf; nack after {@link relayNackDelay} if it stays silent. */
export function onPingReq(c: CoreContext, from: string, fromAddr: string, m: PingReqMsg): void {
  const seq = ++c.seqNo;
  const relay = { origin: from, originAddr: fromAddr, originSeq: m.seq, acked: false };
  c.relays.set(seq, relay);
  c.send(m.target, m.addr, [{ t: 'ping', seq, target: m.target }]);
  c.at(c.now + relayNackDelay(c.opts), () => {
    if (!relay.acked) c.send(from, fromAddr, [{ t: 'nack', seq: m.seq } satisfies NackMsg]);
  });
  c.at(c.now + c.opts.probeIntervalMs, () => c.relays.delete(seq));
}
