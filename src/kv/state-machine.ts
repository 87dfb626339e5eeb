/**
 * `KvStateMachine`: the replicated key-value store as a Raft
 * {@link StateMachine}. Deterministic and total: the same commands give the
 * same state everywhere, and a malformed or failing command gives an error
 * result, never an exception.
 * @module
 */
import { decodeKvCommand, type KvCommand } from '../codec/kv.js';
import { CompactedError, InvalidInputError } from '../errors.js';
import type { ApplyMeta, StateMachine } from '../raft/state-machine.js';
import type { KvExtensionContext } from './extension.js';
import { LeaseTable } from './leases.js';
import { resolveKvStateMachineOptions, type KvStateMachineOptions, type ResolvedKvStateMachineOptions } from './options.js';
import { SessionTable } from './sessions.js';
import { paceOn, readSnapshotChunks, writeSnapshotChunks, snapshotToBytes, snapshotFromBytes, type SnapshotPace, type SnapshotState } from './snapshot.js';
import { KeySpace } from './store.js';
import { branchProblem, comparesHold, isReserved, putProblem, txnProblem, visibleTo } from './txn.js';
import type { DeleteResult, ErrorResult, KeySelector, KeyValue, KvErrorCode, KvResult, PutResult, RangeResult, TxnOp, TxnResult } from './types.js';
import { Watcher, type WatchOptions } from './watch.js';

/** Options of {@link KvStateMachine.range}. */
export interface RangeOptions {
  /** At most this many keys (0: no limit). @default 0 */
  readonly limit?: number;
  /** Read as of this revision (0: current); must not be compacted or in the future. @default 0 */
  readonly revision?: number;
}

/**
 * The replicated KV store. Give one to each `RaftNode` and talk to it
 * through a {@link KvClient}; local reads (`get`, `range`, `watch`) see this
 * replica's applied state.
 *
 * @example
 * ```ts
 * const kv = new KvStateMachine();
 * const node = new RaftNode({ id, peers, transport, storage, stateMachine: kv });
 * const client = new KvClient(node);
 * await client.put('config/x', 'on');
 * ```
 */
export class KvStateMachine implements StateMachine<KvResult> {
  private readonly o: ResolvedKvStateMachineOptions;
  private readonly keys = new KeySpace();
  private readonly leases = new LeaseTable();
  private readonly sessions = new SessionTable();
  private readonly listeners = new Set<() => void>();
  private time = 0;
  private applied = 0;
  private restores = 0;

  private readonly pace: SnapshotPace;

  constructor(options: KvStateMachineOptions = {}) {
    this.o = resolveKvStateMachineOptions(options);
    this.pace = paceOn(this.o.clock, this.o.snapshotKeysPerTurn);
  }

  /** Revision of the last write. */
  get revision(): number {
    return this.keys.revision;
  }

  /** Revisions at or below this one are compacted. */
  get compactRevision(): number {
    return this.keys.compactRevision;
  }

  /** Raft index of the last applied command. */
  get appliedIndex(): number {
    return this.applied;
  }

  /** Replicated time: the largest proposer timestamp applied so far, ms. */
  get replicatedTime(): number {
    return this.time;
  }

  /** Number of keys that exist now (reserved keys included). */
  get size(): number {
    return this.keys.liveCount;
  }

  /** Number of leases and sessions held (for status pages and tests). */
  get counts(): {
    /** Leases granted and not yet revoked or expired. */
    readonly leases: number;
    /** Client sessions open and not yet expired. */
    readonly sessions: number;
  } {
    return { leases: this.leases.size, sessions: this.sessions.size };
  }

  /** How many times state was replaced by `restore` (watches re-seek when it changes). */
  get restoreEpoch(): number {
    return this.restores;
  }

  // ---- local reads ----------------------------------------------------------

  /** A key's current value on this replica, or null. */
  get(key: string): KeyValue | null {
    return this.keys.get(key);
  }

  /** Keys a selector covers on this replica, at a revision (reserved keys only if the selector starts in them). */
  range(sel: KeySelector, options: RangeOptions = {}): RangeResult {
    const rev = options.revision ?? 0;
    const limit = options.limit ?? 0;
    if (!Number.isSafeInteger(rev) || rev < 0) throw new InvalidInputError(`range: revision must be a non-negative integer, got ${String(rev)}`);
    if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidInputError(`range: limit must be a non-negative integer, got ${String(limit)}`);
    if (rev > this.keys.revision) throw new InvalidInputError(`range: revision ${rev} is in the future (current ${this.keys.revision})`);
    if (rev !== 0 && rev <= this.keys.compactRevision) throw new CompactedError(rev, this.keys.compactRevision);
    return this.rangeAt(sel, limit, rev === 0 ? this.keys.revision : rev);
  }

  private rangeAt(sel: KeySelector, limit: number, rev: number): RangeResult {
    if (isReserved(sel.key)) return this.keys.range(sel, limit, rev);
    const all = this.keys.range(sel, 0, rev).kvs.filter((kv) => visibleTo(sel, kv.key));
    const kvs = limit === 0 ? all : all.slice(0, limit);
    return { kind: 'range', revision: rev, kvs, more: all.length > kvs.length, count: all.length };
  }

  /**
   * Leases expired at replicated time `now` (the leader proposes their
   * expiry). With `leaderSince`, a lease also has its whole TTL from then: a
   * new leader does not expire leases whose keep-alives could reach no
   * leader during the election (as etcd extends leases on promotion).
   */
  expiredLeases(now: number, leaderSince?: number): number[] {
    return this.leases.expired(now, leaderSince);
  }

  /** A lease's expiry in replicated time, or undefined if it does not exist. */
  leaseExpiry(id: number): number | undefined {
    return this.leases.get(id)?.expiresAt;
  }

  /**
   * Events of keys a selector covers, from a revision on, as an async
   * iterable that never skips or repeats an event, in revision order.
   * Throws `CompactedError` (from `next()`) if `fromRevision` or the
   * watcher's position is compacted.
   */
  watch(sel: KeySelector, options: WatchOptions = {}): Watcher {
    return new Watcher(this.watchSource, sel, options.fromRevision ?? this.keys.revision + 1, options.signal);
  }

  private readonly watchSource = {
    keys: () => this.keys,
    epoch: () => this.restores,
    subscribe: (fn: () => void) => {
      this.listeners.add(fn);
      return () => void this.listeners.delete(fn);
    },
  };

  // ---- apply ----------------------------------------------------------------

  /** Apply one committed command. Never throws: failures are `{ kind: 'error' }` results. */
  apply(data: Uint8Array, meta: ApplyMeta): KvResult {
    let cmd: KvCommand;
    try {
      cmd = decodeKvCommand(data);
    } catch (e) {
      this.applied = Math.max(this.applied, meta.index);
      return this.error('INVALID_INPUT', e instanceof Error ? e.message : 'malformed command');
    }
    this.time = Math.max(this.time, cmd.ts);
    this.sessions.expire(this.time, this.o.sessionTtlMs);
    const r = this.applyInSession(cmd, meta.index);
    this.applied = Math.max(this.applied, meta.index);
    this.keys.commitEvents();
    this.autoCompact();
    this.notify();
    return r;
  }

  /** Wake every watcher (over a copy when there are several: a listener may unsubscribe others). */
  private notify(): void {
    if (this.listeners.size === 0) return;
    if (this.listeners.size === 1) for (const fn of this.listeners) fn();
    else for (const fn of [...this.listeners]) fn();
  }

  private applyInSession(cmd: KvCommand, index: number): KvResult {
    if (cmd.session === 0 || cmd.type === 'sessionOpen') return this.safeExec(cmd, index);
    switch (this.sessions.check(cmd.session, cmd.seq, cmd.ack, this.time)) {
      case 'duplicate': return this.sessions.duplicate as KvResult;
      case 'unknown': return this.error('SESSION_EXPIRED', `session ${cmd.session} does not exist or expired`);
      case 'acknowledged': return this.error('INVALID_INPUT', `sequence number ${cmd.seq} was already acknowledged`);
      case 'full': return this.error('INVALID_INPUT', `session ${cmd.session} has too many unacknowledged commands`);
      case 'new': {
        const session = this.sessions.current!;
        const r = this.safeExec(cmd, index);
        if (cmd.type !== 'sessionClose') session.results.set(cmd.seq, r);
        return r;
      }
    }
  }

  private safeExec(cmd: KvCommand, index: number): KvResult {
    try {
      return this.exec(cmd, index);
    } catch (e) {
      return this.error('INTERNAL', e instanceof Error ? e.message : String(e));
    }
  }

  private exec(cmd: KvCommand, index: number): KvResult {
    switch (cmd.type) {
      case 'put': return this.execPut(cmd.key, cmd.value, cmd.lease, index);
      case 'delete': return this.execOps([{ type: 'delete', ...cmd.sel }], index)[0] as DeleteResult | ErrorResult;
      case 'txn': return this.execTxn(cmd, index);
      case 'compact': return this.execCompact(cmd.revision);
      case 'leaseGrant': return this.execGrant(cmd.ttlMs, index);
      case 'leaseKeepAlive': return this.execKeepAlive(cmd.id);
      case 'leaseRevoke':
        if (this.leases.get(cmd.id) === undefined) return this.error('NOT_FOUND', `lease ${cmd.id} not found`);
        return this.revoke([cmd.id], index);
      case 'leaseExpire': return this.revoke(cmd.ids.filter((id) => (this.leases.get(id)?.expiresAt ?? Infinity) <= this.time), index);
      case 'sessionOpen':
        this.sessions.open(index, this.time);
        return { kind: 'session', revision: this.keys.revision, id: index };
      case 'sessionClose':
        this.sessions.close(cmd.session);
        return { kind: 'ok', revision: this.keys.revision };
      case 'ext': return this.execExt(cmd.name, cmd.payload, index);
    }
  }

  /** A plain put: the checks of a one-put branch (see `branchProblem`), without building one. */
  private execPut(key: string, value: Uint8Array, lease: number, index: number): PutResult | ErrorResult {
    const problem = putProblem(key, lease, this.leaseExists);
    if (problem !== null) return this.error('INVALID_INPUT', problem);
    return this.putKey(key, value, lease, index);
  }

  private readonly leaseExists = (id: number): boolean => this.leases.get(id) !== undefined;

  /** Run validated-or-not ops as one write; an invalid batch writes nothing and yields one error result. */
  private execOps(ops: readonly TxnOp[], index: number): (PutResult | DeleteResult | RangeResult | ErrorResult)[] {
    const problem = branchProblem(ops, this.leaseExists);
    if (problem !== null) return [this.error('INVALID_INPUT', problem)];
    const out: (PutResult | DeleteResult | RangeResult)[] = [];
    for (const op of ops) {
      if (op.type === 'range') out.push(this.rangeAt(op, op.limit ?? 0, this.keys.revision));
      else if (op.type === 'put') out.push(this.putKey(op.key, op.value, op.lease ?? 0, index));
      else out.push(this.deleteKeys(this.keys.liveKeys(op).filter((k) => visibleTo(op, k)), index));
    }
    // A read sees the revision after the writes before it; report the final revision on writes.
    if (out.length === 1) return out;
    return out.map((r) => (r.kind === 'range' ? r : { ...r, revision: this.keys.revision }));
  }

  private putKey(key: string, value: Uint8Array, lease: number, index: number): PutResult {
    const prev = this.keys.put(key, value, lease, index);
    this.leases.move(key, prev?.lease ?? 0, lease);
    return { kind: 'put', revision: index, prev };
  }

  private deleteKeys(keys: readonly string[], index: number): DeleteResult {
    const prev: KeyValue[] = [];
    for (const k of keys) {
      const kv = this.keys.delete(k, index);
      if (kv === null) continue;
      this.leases.move(k, kv.lease, 0);
      prev.push(kv);
    }
    return { kind: 'delete', revision: this.keys.revision, deleted: prev.length, prev };
  }

  private execTxn(cmd: KvCommand & { type: 'txn' }, index: number): TxnResult | ErrorResult {
    const problem = txnProblem(cmd, this.leaseExists);
    if (problem !== null) return this.error('INVALID_INPUT', problem);
    const succeeded = comparesHold(this.keys, cmd.compare);
    const results = this.execOps(succeeded ? cmd.success : cmd.failure, index) as TxnResult['results'][number][];
    return { kind: 'txn', revision: this.keys.revision, succeeded, results };
  }

  private execCompact(rev: number): KvResult {
    if (rev > this.keys.revision) return this.error('INVALID_INPUT', `cannot compact revision ${rev}: the current revision is ${this.keys.revision}`);
    if (rev <= this.keys.compactRevision) {
      return { ...this.error('COMPACTED', `revision ${rev} is already compacted`), compacted: { requested: rev, at: this.keys.compactRevision } };
    }
    this.keys.compact(rev);
    return { kind: 'compact', revision: this.keys.revision, compactRevision: rev };
  }

  private execGrant(ttlMs: number, index: number): KvResult {
    if (ttlMs < 1 || ttlMs > this.o.maxLeaseTtlMs) return this.error('INVALID_INPUT', `lease TTL must be in [1, ${this.o.maxLeaseTtlMs}] ms, got ${ttlMs}`);
    const l = this.leases.grant(index, ttlMs, this.time);
    return { kind: 'lease', revision: this.keys.revision, id: l.id, ttlMs, expiresAt: l.expiresAt };
  }

  private execKeepAlive(id: number): KvResult {
    const l = this.leases.keepAlive(id, this.time);
    if (l === undefined) return this.error('NOT_FOUND', `lease ${id} not found`);
    return { kind: 'lease', revision: this.keys.revision, id, ttlMs: l.ttlMs, expiresAt: l.expiresAt };
  }

  private revoke(ids: readonly number[], index: number): KvResult {
    let deleted = 0;
    for (const id of ids) deleted += this.deleteKeys(this.leases.revoke(id), index).deleted;
    return { kind: 'revoke', revision: this.keys.revision, ids, deleted };
  }

  private execExt(name: string, payload: unknown, index: number): KvResult {
    const ext = this.o.extensions.get(name);
    if (ext === undefined) return this.error('INVALID_INPUT', `no extension named ${JSON.stringify(name)}`);
    const writes: { key: string; value: Uint8Array | null }[] = [];
    const own = reservedPrefixOf(name);
    const ctx: KvExtensionContext = {
      revision: index,
      time: this.time,
      get: (k) => this.keys.get(k),
      range: (sel) => this.keys.range(sel, 0, this.keys.revision).kvs,
      put: (key, value) => void writes.push({ key, value }),
      delete: (key) => void writes.push({ key, value: null }),
    };
    const out = ext.apply(payload, ctx);
    if (!out.ok) return this.error(out.code, out.message);
    if (writes.some((w) => !w.key.startsWith(own))) return this.error('INTERNAL', `extension ${name} wrote outside ${JSON.stringify(own)}`);
    for (const w of writes) {
      if (w.value === null) this.deleteKeys([w.key], index);
      else this.putKey(w.key, w.value, 0, index);
    }
    return { kind: 'ext', revision: this.keys.revision, value: out.value };
  }

  private autoCompact(): void {
    const max = this.o.maxHistoryEvents;
    if (max === 0 || this.keys.eventCount <= max + (max >> 2)) return;
    const rev = this.keys.eventRevision(this.keys.eventsEnd - max - 1);
    if (rev !== undefined) this.keys.compact(rev);
  }

  private error(code: KvErrorCode, message: string): ErrorResult {
    return { kind: 'error', code, message, revision: this.keys.revision };
  }

  // ---- snapshots ------------------------------------------------------------

  private state(): SnapshotState {
    return { keys: this.keys, leases: this.leases, sessions: this.sessions, time: this.time, applied: this.applied };
  }

  /**
   * The whole state as a stream of chunks of about `chunkBytes` each,
   * consistent as of the call; encoded as it is read, sharing the event
   * loop (see `snapshotKeysPerTurn`). Read it to the end or close it with
   * `return()` (a `for await` loop does): until then compaction keeps
   * history it would prune.
   */
  snapshotChunks(chunkBytes = 1024 * 1024): AsyncIterableIterator<Uint8Array> {
    return writeSnapshotChunks(this.state(), chunkBytes, this.pace);
  }

  /** Replace the whole state with a snapshot's chunks; on a malformed stream the state is unchanged and a `DecodeError` is thrown. */
  async restoreChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const s = await readSnapshotChunks(chunks, this.pace);
    this.install(s);
  }

  /** The whole state in one buffer (the chunks, framed). */
  async snapshot(): Promise<Uint8Array> {
    return snapshotToBytes(this.snapshotChunks());
  }

  /** Replace the whole state with a snapshot's. */
  async restore(snapshot: Uint8Array): Promise<void> {
    await this.restoreChunks(snapshotFromBytes(snapshot));
  }

  private install(s: Awaited<ReturnType<typeof readSnapshotChunks>>): void {
    this.keys.load(s.histories, s.revision, s.compactRevision);
    this.leases.load(s.leases);
    this.sessions.load(s.sessions);
    this.time = s.time;
    this.applied = s.applied;
    this.restores++;
    this.notify();
  }
}

/** Prefix of the reserved keys an extension may write. */
export function reservedPrefixOf(name: string): string {
  return `\u0000${name}/`;
}

