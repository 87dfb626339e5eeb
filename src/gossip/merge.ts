/**
 * SWIM's merge rules for alive / suspect / dead records, with refutation.
 * At one incarnation alive < suspect < dead < left; a higher incarnation
 * always wins, and only the member itself raises its incarnation.
 *
 * How a record arrived decides whether it is passed on: gossip news always
 * is; a record learned by anti-entropy only when it is bad news (suspect /
 * dead / left), a return from the dead, or first-hand (about the peer
 * itself) news of a member unknown or suspect here.
 * Otherwise a newcomer's full-table sync would set off N broadcasts.
 * @internal
 * @module
 */
import type { AliveMsg, DeadMsg, SuspectMsg } from '../codec/gossip.js';
import type { CoreContext } from './context.js';
import { ALIVE, DEAD, LEFT, SUSPECT } from './members.js';
import { checkShare, minSuspicionTimeout, Suspicion } from './suspicion.js';

/** How a record arrived. */
export type MergeMode = 'gossip' | 'sync' | 'firstHand';

function shouldSpread(mode: MergeMode, prev: number, next: number): boolean {
  if (mode === 'gossip' || next !== ALIVE || prev === DEAD || prev === LEFT) return true;
  // A peer's own newer alive row in a sync is news only if it was unknown or suspect here;
  // otherwise it is a refutation it told its accuser privately (quiet.ts), which nobody else needs.
  return mode === 'firstHand' && (prev === 0 || prev === SUSPECT);
}

/** Apply an alive record. */
export function mergeAlive(c: CoreContext, m: AliveMsg, mode: MergeMode): void {
  const t = c.table;
  const known = t.ids.lookup(m.id);
  if (known === c.self) {
    // Someone holds a newer alive of us than we do: we restarted without our incarnation.
    if (m.inc >= t.incarnation(known) && (m.addr !== c.opts.address || m.inc > t.incarnation(known)) && proven(c, m)) refute(c, m.inc);
    return;
  }
  const prev = known === undefined ? 0 : t.state(known);
  if (prev !== 0 && m.inc <= t.incarnation(known!)) {
    c.stats.stale++;
    return;
  }
  // With a join secret, nothing enters the table (or replaces a record) without a valid proof.
  if (!proven(c, m)) return;
  const i = known ?? t.ids.intern(m.id);
  c.join?.remember(i, m.proof);
  const changedInfo = prev !== 0 && (t.address(i) !== m.addr || !sameBytes(t.meta(i), m.meta));
  t.set(i, ALIVE, m.inc, c.now);
  t.setAddress(i, m.addr);
  t.setMeta(i, m.meta);
  c.suspicions.delete(i);
  if (prev === 0 || prev === DEAD || prev === LEFT) c.events.push({ type: 'join', member: t.info(i) });
  else if (prev === SUSPECT) c.events.push({ type: 'alive', member: t.info(i) });
  else if (changedInfo) c.events.push({ type: 'update', member: t.info(i) });
  if (shouldSpread(mode, prev, ALIVE)) c.queueSystem(m.id, m);
}

/** Apply a suspect record (or count it as a confirmation of a running suspicion). */
export function mergeSuspect(c: CoreContext, m: SuspectMsg, mode: MergeMode): void {
  const t = c.table;
  const i = t.ids.lookup(m.id);
  if (i === undefined) return;
  if (i === c.self) {
    refute(c, m.inc);
    return;
  }
  const prev = t.state(i);
  const inc = t.incarnation(i);
  if (prev === 0 || prev === DEAD || prev === LEFT || m.inc < inc) {
    c.stats.stale++;
    return;
  }
  if (prev === SUSPECT && m.inc === inc) {
    confirm(c, i, m);
    return;
  }
  t.set(i, SUSPECT, m.inc, c.now);
  startSuspicion(c, i, m.by);
  if (m.by === c.opts.id) c.stats.suspected++;
  c.events.push({ type: 'suspect', member: t.info(i) });
  if (shouldSpread(mode, prev, SUSPECT)) c.queueSystem(m.id, m);
}

/**
 * A dead row from anti-entropy (sent by `from`) about a member we hold
 * alive or suspect. Merged as a suspicion at its incarnation: more often
 * than not it is old news from the other side of a healed partition, which
 * a live member then refutes. If we already suspect the member at a newer
 * incarnation, the row counts as `from`'s confirmation of our suspicion: a
 * member that restarted and crashed again is dead at an older incarnation
 * everywhere else, so nobody would ever send a confirmation at ours, and a
 * lone accuser's suspicion does not expire (see `Suspicion.canExpire`): we
 * would hold it suspect for ever.
 */
export function mergeDeadRowAboutLive(c: CoreContext, m: DeadMsg, from: string): void {
  const i = c.table.ids.lookup(m.id);
  const s = i === undefined ? undefined : c.suspicions.get(i);
  if (i !== undefined && s !== undefined && c.table.state(i) === SUSPECT && m.inc < c.table.incarnation(i)) {
    if (s.confirm(from)) scheduleExpiry(c, i, s);
    return;
  }
  mergeSuspect(c, { t: 'suspect', id: m.id, inc: m.inc, by: from }, 'sync');
}

/** Apply a dead or left record. */
export function mergeDead(c: CoreContext, m: DeadMsg, mode: MergeMode): void {
  const t = c.table;
  const i = t.ids.lookup(m.id);
  if (i === undefined) return;
  if (i === c.self) {
    if (!c.leaving) refute(c, m.inc);
    return;
  }
  const prev = t.state(i);
  const inc = t.incarnation(i);
  const next = m.left ? LEFT : DEAD;
  const same = m.inc === inc && (prev === LEFT || (prev === DEAD && next === DEAD));
  if (prev === 0 || m.inc < inc || same) {
    c.stats.stale++;
    return;
  }
  t.set(i, next, m.inc, c.now);
  c.suspicions.delete(i);
  if (m.by === c.opts.id && !m.left) c.stats.declaredDead++;
  c.events.push({ type: m.left ? 'leave' : 'dead', member: t.info(i) });
  if (shouldSpread(mode, prev, next)) c.queueSystem(m.id, m);
}

/** Whether `m` passes the join-secret check (always, without a join secret); counts refusals. */
function proven(c: CoreContext, m: AliveMsg): boolean {
  if (c.join === null || c.join.admits(m)) return true;
  c.stats.joinRefused++;
  return false;
}

/**
 * Someone thinks we are suspect or dead at `inc`: raise our incarnation
 * above it and, when `spread`, gossip it. Having to refute is a sign we are
 * the slow one (Lifeguard), so our own timeouts stretch. An older claim is
 * answered too if our current incarnation was only ever told privately (to
 * an accuser, see quiet.ts): the claim reached a third member, so it spread.
 */
export function refute(c: CoreContext, inc: number, spread = true): void {
  if (c.leaving) return;
  if (inc >= c.table.incarnation(c.self)) {
    const next = inc + 1;
    c.table.set(c.self, ALIVE, next, c.now);
    c.awareness.apply(1);
    c.stats.refutes++;
    c.events.push({ type: 'incarnation', incarnation: next });
  }
  if (spread && c.publicInc < c.table.incarnation(c.self)) c.queueSystem(c.opts.id, selfAlive(c));
}

/** This member's own alive record. */
export function selfAlive(c: CoreContext): AliveMsg {
  const t = c.table;
  const m: AliveMsg = { t: 'alive', id: c.opts.id, inc: t.incarnation(c.self), addr: c.opts.address, meta: t.meta(c.self) };
  if (c.join !== null) m.proof = c.join.ownProof(m);
  return m;
}

/** The record of member `i` as an update message, for anti-entropy and buddy notices. */
export function recordOf(c: CoreContext, i: number): AliveMsg | SuspectMsg | DeadMsg {
  const t = c.table;
  const id = t.ids.idOf(i);
  const inc = t.incarnation(i);
  const s = t.state(i);
  // Name the original accuser: passing on a suspicion is not confirming it.
  if (s === SUSPECT) return { t: 'suspect', id, inc, by: c.suspicions.get(i)?.by ?? c.opts.id };
  if (s === DEAD || s === LEFT) return { t: 'dead', id, inc, by: c.opts.id, left: s === LEFT };
  if (i === c.self) return selfAlive(c);
  const m: AliveMsg = { t: 'alive', id, inc, addr: t.address(i), meta: t.meta(i) };
  const proof = c.join?.proofOf(i);
  if (proof !== undefined) m.proof = proof;
  return m;
}

function startSuspicion(c: CoreContext, i: number, by: string): void {
  const o = c.opts;
  const n = c.table.liveCount;
  // Expect confirmations from at most the members that could send them.
  const k = Math.max(0, Math.min(o.suspicionConfirmations, n - 2));
  const min = minSuspicionTimeout(o.suspicionMult, n, o.probeIntervalMs);
  const s = new Suspicion(by, k, min, min * o.suspicionMaxTimeoutMult, c.now);
  if (by !== o.id) s.willCheck = c.rng.next() < checkShare(k, n);
  c.suspicions.set(i, s);
  scheduleExpiry(c, i, s);
}

function confirm(c: CoreContext, i: number, m: SuspectMsg): void {
  const s = c.suspicions.get(i);
  if (s === undefined || !s.confirm(m.by)) return;
  scheduleExpiry(c, i, s);
  // Pass confirmations on: others' timers shrink only if they hear them.
  c.queueSystem(m.id, m);
}

function scheduleExpiry(c: CoreContext, i: number, s: Suspicion, at = s.deadline()): void {
  c.at(at, () => {
    if (c.suspicions.get(i) !== s || c.now < s.deadline()) return;
    // Unconfirmed: wait another full period for a confirmation or the refutation, unless no member
    // but us is left alive in our view to send one (the others crashed too), or a probe of ours in the
    // period just waited failed with every relay nacking: relays that answer us could not reach the
    // suspect either, which a member with a bad inbound link never sees. Confirmations can be missing
    // for good: lost on the way (a partition), or every other member restarted since the suspect
    // crashed and never heard of it.
    if (!s.canExpire && aliveOthers(c) > 0 && !s.relaysNacked) {
      // Each period we wait, a member that did not start the suspicion checks the suspect once more
      // itself (its own failed probe confirms); the accuser probes it once more.
      if (s.by !== c.opts.id) s.willCheck = true;
      else s.recheck = true;
      return scheduleExpiry(c, i, s, c.now + s.maxTimeout);
    }
    // In poor health our own view is the doubtful one (Lifeguard): probe the suspect again first, the
    // probe carrying the suspicion, so a live one refutes; a dead one is declared by healthier members.
    if (c.awareness.score > 0 && !s.rechecked) {
      s.recheck = true;
      s.rechecked = true; // once: a member alone with a dead peer must still get to declare it
      return scheduleExpiry(c, i, s, c.now + c.awareness.scale(c.opts.probeIntervalMs));
    }
    const id = c.idOf(i);
    mergeDead(c, { t: 'dead', id, inc: c.table.incarnation(i), by: c.opts.id, left: false }, 'gossip');
  });
}

/** Members other than us that we hold alive (not suspect): those that could confirm a suspicion. */
function aliveOthers(c: CoreContext): number {
  return c.table.liveCount - 1 - c.suspicions.size;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
