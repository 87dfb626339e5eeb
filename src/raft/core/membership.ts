/**
 * Membership changes on the core: proposing a change (joint when voters
 * change), applying configuration entries as they commit, leaving a joint
 * configuration automatically, and stepping down when removed.
 */
import { decodeConfig, encodeConfig, isJoint, leaveJoint, planChange, type FullConfig, type MembershipChange } from './confchange.js';
import { jointHasMajority } from './quorum.js';
import type { RaftCore } from './raft.js';
import { mostCaughtUpVoter, sendTimeoutNow } from './transfer.js';
import { EntryType, MsgType, type Entry, type NodeId } from './types.js';

/** Outcome of `RaftCore.changeMembership`. */
export type ChangeResult =
  | {
      /** Appended. */
      readonly ok: true;
      /** Index of the configuration entry. */
      readonly index: number;
      /** Its term. */
      readonly term: number;
      /** The configuration it leads to (joint if voters change). */
      readonly target: FullConfig;
    }
  | {
      /** Refused. */
      readonly ok: false;
      /** Why. */
      readonly reason: 'not-leader' | 'in-progress' | 'invalid' | 'no-quorum' | 'transferring';
      /** A human-readable explanation. */
      readonly detail: string;
    };

/** Options of a membership change. */
export interface ChangeOptions {
  /** Apply even if the new voters would have no reachable quorum. */
  readonly force?: boolean;
  /** Addresses of added members. */
  readonly addresses?: Readonly<Record<NodeId, string>>;
}

/** Leader: append a configuration entry for `change`, if allowed now. */
export function proposeChange(r: RaftCore, change: MembershipChange, options: ChangeOptions = {}): ChangeResult {
  if (r.role !== 'leader') return { ok: false, reason: 'not-leader', detail: 'only the leader changes membership' };
  if (r.leadTransferee !== null) return { ok: false, reason: 'transferring', detail: 'a leadership transfer is in progress' };
  // One change at a time, and only once this leader committed an entry of its own term (§4.1, the single-server bug fix).
  if (r.pendingConfIndex > r.log.committed || r.log.term(r.log.committed) !== r.term) {
    return { ok: false, reason: 'in-progress', detail: 'a configuration change is still uncommitted' };
  }
  const target = planChange(r.config, change, options.addresses ?? {});
  if ('error' in target) {
    const reason = isJoint(r.config) ? 'in-progress' : 'invalid';
    return { ok: false, reason, detail: target.error };
  }
  if (!options.force && !quorumReachable(r, target)) {
    return { ok: false, reason: 'no-quorum', detail: 'the new voters would have no reachable quorum (use force to override)' };
  }
  const index = appendConfig(r, target);
  return { ok: true, index, term: r.term, target };
}

/** Would the target's voters (both halves) have a quorum among members heard from in this or the last CheckQuorum round? */
function quorumReachable(r: RaftCore, target: FullConfig): boolean {
  return jointHasMajority(target, (id) => {
    const pr = r.tracker.progress.get(id);
    return id === r.id || (pr !== undefined && (pr.recentActive || pr.activeBefore));
  });
}

function appendConfig(r: RaftCore, target: FullConfig): number {
  const index = r.log.lastIndex() + 1;
  r.appendEntries([{ term: r.term, index, type: EntryType.Config, data: encodeConfig(target) }]);
  r.pendingConfIndex = index;
  return index;
}

/** A configuration entry committed: it takes effect now on this node. */
export function applyConfigEntry(r: RaftCore, e: Entry): void {
  const cfg = decodeConfig(e.data);
  if (cfg === null) {
    r.counters.protocolViolations++;
    return;
  }
  const before = r.role === 'leader' ? new Map([...r.tracker.progress].map(([id, pr]) => [id, pr.match])) : null;
  setConfig(r, cfg);
  r.counters.configChanges++;
  if (r.role !== 'leader') return;
  if (before !== null) sayFarewell(r, before);
  if (isJoint(cfg)) {
    // Leave the joint configuration as soon as it is in force.
    if (r.pendingConfIndex <= e.index) appendConfig(r, leaveJoint(cfg));
  } else if (!r.tracker.isVoter(r.id)) {
    stepDownAfterRemoval(r);
  }
}

/** Install a configuration (from a committed entry, a snapshot or a restart). */
export function setConfig(r: RaftCore, cfg: FullConfig): void {
  r.config = cfg;
  r.tracker.setConfig(cfg, r.log.lastIndex());
}

/**
 * Members just dropped get one last heartbeat carrying the commit index, so
 * one that holds the entry removing it applies it and learns it was removed.
 */
function sayFarewell(r: RaftCore, matchBefore: Map<NodeId, number>): void {
  for (const [id, match] of matchBefore) {
    if (id === r.id || r.tracker.progress.has(id)) continue;
    r.send({ type: MsgType.Heartbeat, term: r.term, from: r.id, to: id, commit: Math.min(match, r.log.committed), ctx: 0 });
  }
}

/** The leader was removed: hand leadership to the most caught-up voter, then step down. */
function stepDownAfterRemoval(r: RaftCore): void {
  const best = mostCaughtUpVoter(r);
  if (best !== null && r.tracker.progress.get(best)?.match === r.log.lastIndex()) sendTimeoutNow(r, best);
  r.becomeFollower(r.term, null);
}

/**
 * Recovery from a lost quorum (like Swarm's `--force-new-cluster`): `r`
 * becomes the only voter, keeping its whole log, which becomes committed.
 * The epoch goes up so members of the old configuration cannot disturb the
 * new cluster; every other old member is removed.
 */
export function forceNewCluster(r: RaftCore): void {
  const old = r.config;
  const removed = new Set(old.removed);
  for (const id of [...old.incoming, ...old.outgoing, ...old.learners]) if (id !== r.id) removed.add(id);
  const addresses: Record<NodeId, string> = {};
  if (old.addresses[r.id] !== undefined) addresses[r.id] = old.addresses[r.id]!;
  const cfg: FullConfig = { incoming: new Set([r.id]), outgoing: new Set(), learners: new Set(), removed, epoch: old.epoch + 1, addresses };
  const index = r.log.lastIndex() + 1;
  r.log.append([{ term: r.term, index, type: EntryType.Config, data: encodeConfig(cfg) }]);
  // No quorum of the old configuration exists to commit it: this node's word is the commit.
  r.log.commitTo(index);
  setConfig(r, cfg);
  r.becomeFollower(r.term, null);
}
