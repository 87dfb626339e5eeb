/**
 * Configuration changes (Raft dissertation §4.3, joint consensus). A
 * configuration entry carries the whole target configuration, so any one of
 * them tells a node the full membership. A change of voters goes through a
 * joint configuration (old and new voters must both agree), left by a second
 * entry; a change of learners only is applied directly. Configurations take
 * effect when their entry commits.
 */
import type { ClusterConfig } from './tracker.js';
import type { NodeId, SnapshotConfig } from './types.js';

/** A membership change, as `changeMembership` takes it. */
export interface MembershipChange {
  /** Ids to make voters (new members, or learners being promoted). */
  readonly addVoters?: readonly NodeId[];
  /** Voters to remove (or to demote, if also in `addLearners`). */
  readonly removeVoters?: readonly NodeId[];
  /** Ids to add as learners. */
  readonly addLearners?: readonly NodeId[];
  /** Learners to remove. */
  readonly removeLearners?: readonly NodeId[];
}

/**
 * A configuration as stored in a Config entry and in snapshots: voters,
 * `outgoing` voters while joint, learners, ids `removed` (never reused), the
 * recovery `epoch` and members' addresses.
 */
export type StoredConfig = SnapshotConfig;

/** Full configuration in force: quorum sets plus history. */
export interface FullConfig extends ClusterConfig {
  /** Ids removed from the cluster; never reused. */
  readonly removed: ReadonlySet<NodeId>;
  /** Cluster epoch, raised by `forceNewCluster`. */
  readonly epoch: number;
  /** Members' addresses. */
  readonly addresses: Readonly<Record<NodeId, string>>;
}

/** Convert between the in-memory and the stored form. */
export function toStored(c: FullConfig): StoredConfig {
  return {
    voters: [...c.incoming].sort(),
    outgoing: [...c.outgoing].sort(),
    learners: [...c.learners].sort(),
    removed: [...c.removed].sort(),
    epoch: c.epoch,
    addresses: { ...c.addresses },
  };
}

export function fromStored(s: StoredConfig): FullConfig {
  return {
    incoming: new Set(s.voters),
    outgoing: new Set(s.outgoing),
    learners: new Set(s.learners),
    removed: new Set(s.removed),
    epoch: s.epoch,
    addresses: { ...s.addresses },
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Config entry data: JSON, so the pure core needs no codec library. */
export function encodeConfig(c: FullConfig): Uint8Array {
  return enc.encode(JSON.stringify(toStored(c)));
}

function idList(v: unknown): NodeId[] | null {
  if (!Array.isArray(v) || v.length > 10_000) return null;
  for (const x of v) if (typeof x !== 'string' || x.length === 0 || x.length > 256) return null;
  return v as NodeId[];
}

/** Decode and validate config entry data; null if malformed. */
export function decodeConfig(data: Uint8Array): FullConfig | null {
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(data));
  } catch {
    return null;
  }
  const s = validateStoredConfig(v);
  return s === null ? null : fromStored(s);
}

/** Check a decoded value is a {@link StoredConfig}; null if not. */
export function validateStoredConfig(v: unknown): StoredConfig | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const voters = idList(o.voters);
  const outgoing = idList(o.outgoing);
  const learners = idList(o.learners);
  const removed = idList(o.removed);
  const epoch = o.epoch;
  const addresses = o.addresses;
  if (!voters || !outgoing || !learners || !removed || typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) return null;
  if (typeof addresses !== 'object' || addresses === null || Array.isArray(addresses)) return null;
  for (const a of Object.values(addresses)) if (typeof a !== 'string') return null;
  return { voters, outgoing, learners, removed, epoch, addresses: addresses as Record<string, string> };
}

/** Whether a configuration is joint (a voter change in progress). */
export function isJoint(c: ClusterConfig): boolean {
  return c.outgoing.size > 0;
}

/** Why a change cannot be planned. */
export type PlanError = { readonly error: string };

/**
 * The configuration that applies `change` to `cur`: joint if the voters
 * change, direct if only learners do. Ids removed before can never return.
 */
export function planChange(cur: FullConfig, change: MembershipChange, addresses: Readonly<Record<NodeId, string>> = {}): FullConfig | PlanError {
  if (isJoint(cur)) return { error: 'the configuration is joint; wait for it to be left' };
  const addV = new Set(change.addVoters ?? []);
  const remV = new Set(change.removeVoters ?? []);
  const addL = new Set(change.addLearners ?? []);
  const remL = new Set(change.removeLearners ?? []);
  for (const id of [...addV, ...addL]) if (cur.removed.has(id)) return { error: `id ${id} was removed before; ids are never reused` };
  for (const id of addV) if (remV.has(id)) return { error: `id ${id} is both added and removed` };
  const voters = new Set(cur.incoming);
  const learners = new Set(cur.learners);
  for (const id of remV) {
    if (!voters.delete(id)) return { error: `${id} is not a voter` };
  }
  for (const id of remL) {
    if (!learners.delete(id)) return { error: `${id} is not a learner` };
  }
  for (const id of addV) {
    learners.delete(id); // promotion
    voters.add(id);
  }
  for (const id of addL) {
    if (voters.has(id)) return { error: `${id} is a voter; demote it by removing it as a voter and adding it as a learner` };
    learners.add(id);
  }
  if (voters.size === 0) return { error: 'the change would leave no voters' };
  const removed = new Set(cur.removed);
  for (const id of [...remV, ...remL]) if (!voters.has(id) && !learners.has(id)) removed.add(id);
  const merged: Record<NodeId, string> = { ...cur.addresses, ...addresses };
  for (const id of removed) delete merged[id];
  const votersChanged = voters.size !== cur.incoming.size || [...voters].some((v) => !cur.incoming.has(v));
  return {
    incoming: voters,
    outgoing: votersChanged ? new Set(cur.incoming) : new Set(),
    learners,
    removed,
    epoch: cur.epoch,
    addresses: merged,
  };
}

/** The configuration that leaves a joint one: the new voters alone. */
export function leaveJoint(c: FullConfig): FullConfig {
  return { ...c, outgoing: new Set() };
}

/** The initial configuration of a bootstrapped cluster. */
export function initialConfig(voters: readonly NodeId[], learners: readonly NodeId[] = []): FullConfig {
  return { incoming: new Set(voters), outgoing: new Set(), learners: new Set(learners), removed: new Set(), epoch: 0, addresses: {} };
}
