/**
 * Quiet suspicions. A member whose own probe fails keeps the suspicion to
 * itself for one probe timeout: it tells only the suspect, several times,
 * and gossips the suspicion only if no refutation came back in that time.
 * A live suspect answers each notice straight back to its accuser (see
 * {@link answerAccuser}); when that answer arrives in time nobody else ever
 * heard of the suspicion, so neither it nor the refutation has to reach
 * all N members R times.
 *
 * Why: at 20% loss a few percent of probes fail although the target is
 * fine. Gossiped, each such suspicion and its refutation are two
 * broadcasts that every member sends R times — at N = 1,000 about 0.4 KB
 * per member each, so a few per second cluster-wide cost more than the
 * whole failure detector. Held, a false suspicion escapes only if every
 * notice round trip in the hold is lost. A crashed member's suspicion
 * spreads one probe timeout later than it would otherwise (its accuser's
 * own timer runs from the start, so agreement is not delayed by as much).
 * The suspect answers without raising its incarnation, so nothing private
 * is left behind that anti-entropy could spread later.
 * @internal
 * @module
 */
import type { AliveMsg, SuspectMsg, UpdateMsg } from '../codec/gossip.js';
import type { CoreContext } from './context.js';
import { ALIVE, SUSPECT } from './members.js';
import { refute, selfAlive } from './merge.js';

/** Notices sent to the suspect during a hold (the probe's own buddy notice is the first). */
const NOTICES = 5;

interface Held { msg: SuspectMsg; i: number }

/** Suspicions this member started and has not gossiped yet, by subject id. */
export class QuietSuspicions {
  private readonly held = new Map<string, Held>();
  private lastAccuser = '';
  private lastAccusedInc = -1;
  private lastAccusedAt = Number.NEGATIVE_INFINITY;

  /**
   * Whether `msg`, about to be queued for gossip, is kept back: a new
   * suspicion of our own is held; a refutation of a held suspicion ends it
   * unheard (and is not gossiped either); anything else about a held member
   * (a confirmation from elsewhere: the suspicion is public) ends the hold.
   */
  intercept(c: CoreContext, subject: string, msg: UpdateMsg): boolean {
    const h = this.held.get(subject);
    if (h !== undefined) {
      this.held.delete(subject);
      return msg.t === 'alive' && msg.inc > h.msg.inc;
    }
    if (msg.t !== 'suspect' || msg.by !== c.opts.id) return false;
    const i = c.table.ids.lookup(subject);
    if (i === undefined || c.suspicions.get(i)?.by !== c.opts.id) return false;
    this.hold(c, subject, { msg, i });
    return true;
  }

  /**
   * The suspect itself answered one of our notices with its alive record at
   * the held incarnation (see {@link answerAccuser}): the suspicion ends
   * unheard and the row goes back to alive at that incarnation, as every
   * other member still has it. Returns whether `m` was such an answer (a
   * higher incarnation is merged as usual; `intercept` then ends the hold).
   */
  answered(c: CoreContext, from: string, m: AliveMsg): boolean {
    const h = m.id === from ? this.held.get(from) : undefined;
    if (h === undefined || m.inc !== h.msg.inc) return false;
    const t = c.table;
    if (t.state(h.i) !== SUSPECT || t.incarnation(h.i) !== h.msg.inc) return false;
    this.held.delete(from);
    t.set(h.i, ALIVE, h.msg.inc, c.now);
    c.suspicions.delete(h.i);
    c.events.push({ type: 'alive', member: t.info(h.i) });
    return true;
  }

  /**
   * Whether a notice from `accuser` about incarnation `inc` is a new
   * accusation rather than a repeat within the same hold (repeats come
   * within one probe interval).
   */
  newAccusation(accuser: string, inc: number, now: number, intervalMs: number): boolean {
    const same = this.lastAccuser === accuser && this.lastAccusedInc === inc && now - this.lastAccusedAt < intervalMs;
    this.lastAccuser = accuser;
    this.lastAccusedInc = inc;
    this.lastAccusedAt = now;
    return !same;
  }

  /** Whether our suspicion of member `i` is held back (anti-entropy must not leak it either). */
  isHeld(i: number): boolean {
    for (const h of this.held.values()) if (h.i === i) return true;
    return false;
  }

  private hold(c: CoreContext, subject: string, h: Held): void {
    this.held.set(subject, h);
    const step = Math.max(1, Math.floor(c.opts.probeTimeoutMs / NOTICES));
    for (let k = 1; k < NOTICES; k++) {
      c.at(c.now + k * step, () => {
        if (this.held.get(subject) === h) c.send(subject, c.table.address(h.i), [h.msg], false);
      });
    }
    c.at(c.now + NOTICES * step, () => this.release(c, subject, h));
  }

  /** The hold ran out unrefuted: gossip the suspicion if it still stands. */
  private release(c: CoreContext, subject: string, h: Held): void {
    if (this.held.get(subject) !== h) return;
    this.held.delete(subject);
    const t = c.table;
    if (t.state(h.i) !== SUSPECT || t.incarnation(h.i) !== h.msg.inc) return;
    c.system.push(`m:${subject}`, h.msg);
    t.touch(h.i); // anti-entropy skipped the row while held: make it a change again

  }
}

/** Whether `m` is a suspicion of this member sent by its accuser itself (a buddy notice). */
export function isNoticeFromAccuser(c: CoreContext, from: string, m: UpdateMsg): m is SuspectMsg {
  return m.t === 'suspect' && m.id === c.opts.id && m.by === from;
}

/**
 * A buddy notice: answer the accuser directly with our alive record at our
 * current incarnation, without raising it. Nobody but the accuser heard of
 * the suspicion (it holds it back, see the module comment), so a new
 * incarnation would be private knowledge of two members — and one that
 * anti-entropy later carries around: after a real crash, members that
 * learned it would take the dead record at the public incarnation for stale
 * and bring the member back from the dead. The accuser accepts an alive at
 * the held incarnation from the suspect itself (see
 * {@link QuietSuspicions.answered}). Should the suspicion have spread, the
 * first copy reaching us from a third member, or a notice riding on the
 * accuser's probe (held suspicions are noticed bare), makes us refute
 * publicly (see `refute`). Being accused still counts against our health (Lifeguard),
 * once per accusation rather than per notice.
 */
export function answerAccuser(c: CoreContext, from: string, fromAddr: string, m: SuspectMsg): void {
  if (c.leaving) return;
  // The accuser knows a higher incarnation than ours (we restarted without it): a real refutation.
  if (m.inc > c.table.incarnation(c.self)) refute(c, m.inc);
  else if (c.quiet.newAccusation(from, m.inc, c.now, c.opts.probeIntervalMs)) {
    c.awareness.apply(1);
    c.stats.refutes++;
  }
  const reply: AliveMsg = selfAlive(c);
  c.send(from, fromAddr, [reply]);
}
