/**
 * `MembershipStore`: the node table (`docker node ls`) kept in the
 * replicated KV state, in its own reserved key space.
 * @module
 */
import { expectedGot, InvalidConfigError, PreconditionFailedError } from '../errors.js';
import type { KvClient, ReadOptions } from '../kv/client.js';
import type { KeyValue } from '../kv/types.js';
import type { WatchOptions } from '../kv/watch.js';
import { decodeNode, MEMBERSHIP_EXT, NODE_PREFIX, nodeId, registerInput, updateInput, type MembershipCommand } from './codec.js';
import { keepsQuorum, managerStatusOf, type LivenessSource } from './liveness.js';
import { formatTable } from './table.js';
import type { ListFilter, MembershipEvent, NodeRecord, RegisterInput, StoredNode, UpdateInput } from './types.js';

/**
 * Changes the Raft voter set for `promote` and `demote`. The lead wires
 * this to `RaftNode` membership changes (learner → voter with catch-up).
 */
export interface VoterChanger {
  /** Make `id` a voter (as a learner first, promoted once caught up); reject to refuse. */
  addVoter(id: string, address: string): Promise<void>;
  /** Remove `id` from the voters; reject to refuse. */
  removeVoter(id: string): Promise<void>;
}

/** Options of a {@link MembershipStore}. */
export interface MembershipStoreOptions {
  /** The KV client of this manager (its state machine needs `membershipExtension`). */
  client: KvClient;
  /** The local node's id, marked `*` in the table. @default client.node.id */
  localId?: string;
  /** Changes the Raft voter set on promote/demote; without it they are refused. */
  voters?: VoterChanger;
  /** When the leader last heard from each manager (for MANAGER STATUS). */
  liveness?: LivenessSource;
  /** A manager heard from within this many ms is `reachable`. @default 1000 */
  reachableWithinMs?: number;
}

/** Defaults of {@link MembershipStoreOptions}. */
export const MEMBERSHIP_STORE_DEFAULTS: Readonly<Required<Pick<MembershipStoreOptions, 'reachableWithinMs'>>> = Object.freeze({ reachableWithinMs: 1000 });

/** Options of `remove`. */
export interface RemoveOptions {
  /** Remove even a node whose status is `ready`. @default false */
  readonly force?: boolean;
}

/**
 * The replicated node table. Every update is one Raft command checked and
 * applied atomically; without a majority it fails fast with
 * `NoQuorumError`; linearizable reads fail the same way while
 * `{ consistency: 'stale' }` reads answer from the local copy.
 *
 * @example
 * ```ts
 * const kv = new KvStateMachine({ extensions: [membershipExtension] });
 * // ... RaftNode with stateMachine: kv, then:
 * const nodes = new MembershipStore({ client: new KvClient(node) });
 * await nodes.register({ id: 'w1', hostname: 'worker-1', address: '10.0.0.5:2377' });
 * await nodes.drain('w1');
 * console.log(await nodes.table());
 * ```
 */
export class MembershipStore {
  private readonly client: KvClient;
  private readonly localId: string;
  private readonly voters: VoterChanger | undefined;
  private readonly liveness: LivenessSource | undefined;
  private readonly withinMs: number;

  constructor(options: MembershipStoreOptions) {
    this.client = options.client;
    this.localId = options.localId ?? options.client.node.id;
    this.voters = options.voters;
    this.liveness = options.liveness;
    this.withinMs = options.reachableWithinMs ?? MEMBERSHIP_STORE_DEFAULTS.reachableWithinMs;
    if (!Number.isFinite(this.withinMs) || this.withinMs <= 0) throw expectedGot('reachableWithinMs', 'a positive number', this.withinMs);
  }

  // ---- updates --------------------------------------------------------------

  /** Add a node (or refresh a known one that re-joins). Refused for a removed id. */
  async register(input: RegisterInput): Promise<NodeRecord> {
    return this.changed({ op: 'register', input: registerInput(clean(input)) });
  }

  /** Change availability, status, labels, hostname, address or version. */
  async update(id: string, patch: UpdateInput): Promise<NodeRecord> {
    return this.changed({ op: 'update', id: nodeId(id), patch: updateInput(clean(patch)) });
  }

  /** Set availability to `drain` (the node gives up its work). */
  drain(id: string): Promise<NodeRecord> {
    return this.update(id, { availability: 'drain' });
  }

  /**
   * Make a worker a manager: the voter set changes first (through the
   * `voters` hook: learner, catch-up, voter), then the record. Refused if the
   * change would leave no reachable quorum.
   */
  async promote(id: string): Promise<NodeRecord> {
    const cur = await this.mustGet(id);
    if (cur.role === 'manager') return cur;
    const voters = this.requireVoters();
    await this.checkQuorum({ add: id });
    await voters.addVoter(id, cur.address);
    return this.changed({ op: 'setRole', id, role: 'manager' });
  }

  /** Make a manager a worker. Refused for the last manager or if no reachable quorum would remain. */
  async demote(id: string): Promise<NodeRecord> {
    const cur = await this.mustGet(id);
    if (cur.role === 'worker') return cur;
    const voters = this.requireVoters();
    await this.checkQuorum({ remove: id });
    await voters.removeVoter(id);
    return this.changed({ op: 'setRole', id, role: 'worker' });
  }

  /** Remove a node; its id is never accepted again. Refused for managers, and for ready nodes unless `force`. */
  async remove(id: string, options: RemoveOptions = {}): Promise<void> {
    await this.command({ op: 'remove', id: nodeId(id), force: options.force === true });
  }

  // ---- reads ----------------------------------------------------------------

  /** One node, or null. Linearizable unless `{ consistency: 'stale' }`. */
  async get(id: string, options: ReadOptions = {}): Promise<NodeRecord | null> {
    const kv = await this.client.get(NODE_PREFIX + nodeId(id), options);
    return kv === null ? null : this.toRecord(kv);
  }

  /** Every node matching the filter, in id order. */
  async list(filter: ListFilter & ReadOptions = {}): Promise<NodeRecord[]> {
    const r = await this.client.range({ key: NODE_PREFIX, prefix: true }, filter.consistency === undefined ? {} : { consistency: filter.consistency });
    return r.kvs.map((kv) => this.toRecord(kv)).filter((n) => matches(n, filter));
  }

  /** The table as `docker node ls` prints it, local node marked `*`. */
  async table(filter: ListFilter & ReadOptions = {}): Promise<string> {
    return formatTable(await this.list(filter), { localId: this.localId });
  }

  /** Every change of the table from a revision on (this replica's applied state). */
  async *watch(options: WatchOptions = {}): AsyncGenerator<MembershipEvent> {
    for await (const ev of this.client.watch({ key: NODE_PREFIX, prefix: true }, options)) {
      const id = ev.key.slice(NODE_PREFIX.length);
      yield { type: ev.type, id, node: ev.kv === null ? null : decodeNode(ev.kv.value), revision: ev.revision };
    }
  }

  // ---- internals ------------------------------------------------------------

  /** Run one command; resolves with the node after it (null once removed). */
  private async command(c: MembershipCommand): Promise<NodeRecord | null> {
    const r = await this.client.ext(MEMBERSHIP_EXT, c);
    const node = r.value as StoredNode | null;
    return node === null ? null : this.withStatus(node, r.revision);
  }

  private async changed(c: MembershipCommand): Promise<NodeRecord> {
    return (await this.command(c))!;
  }

  private async mustGet(id: string): Promise<NodeRecord> {
    const n = await this.get(id);
    if (n === null) throw new PreconditionFailedError(`node ${id} is not registered`);
    return n;
  }

  private requireVoters(): VoterChanger {
    if (this.voters === undefined) throw new InvalidConfigError('promote/demote: expected the `voters` option (a VoterChanger), got none');
    return this.voters;
  }

  /** Refuse demoting the last manager, or a voter change that would leave no reachable quorum. */
  private async checkQuorum(change: { readonly add: string } | { readonly remove: string }): Promise<void> {
    const managers = await this.list({ role: 'manager' });
    if ('remove' in change && managers.length <= 1) throw new PreconditionFailedError(`node ${change.remove} is the last manager and cannot be demoted`);
    const status = new Map(managers.map((m) => [m.id, m.managerStatus]));
    const ok = keepsQuorum([...status.keys()], (v) => status.get(v) !== 'unreachable', change);
    if (!ok) throw new PreconditionFailedError(`refused: the voter change would leave the cluster without a reachable quorum`);
  }

  private toRecord(kv: KeyValue): NodeRecord {
    return this.withStatus(decodeNode(kv.value), kv.modRevision);
  }

  private withStatus(n: StoredNode, revision: number): NodeRecord {
    if (n.role !== 'manager') return { ...n, revision };
    const managerStatus = managerStatusOf(n.id, this.client.node.status(), this.liveness, this.withinMs);
    return { ...n, managerStatus, revision };
  }
}

/** Drop undefined fields (they do not survive msgpack as "absent"). */
function clean<T extends object>(o: T): T {
  if (typeof o !== 'object' || o === null) return o;
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function matches(n: NodeRecord, f: ListFilter): boolean {
  if (f.role !== undefined && n.role !== f.role) return false;
  if (f.status !== undefined && n.status !== f.status) return false;
  if (f.availability !== undefined && n.availability !== f.availability) return false;
  if (f.label !== undefined) {
    const eq = f.label.indexOf('=');
    const k = eq < 0 ? f.label : f.label.slice(0, eq);
    if (!(k in n.labels)) return false;
    if (eq >= 0 && n.labels[k] !== f.label.slice(eq + 1)) return false;
  }
  return true;
}
