/**
 * `KvClient`: the KV API over a `RaftNode`. Writes are proposals in an
 * exactly-once session (so they are retried safely across leader changes);
 * reads are linearizable by default (ReadIndex); `{ consistency: 'stale' }`
 * reads this replica's copy.
 * @module
 */
import { type CommandBody, encodeKvCommand } from '../codec/kv.js';
import { InvalidConfigError, InvalidInputError, NoQuorumError, PreconditionFailedError, QuorumkitError, TimeoutError, isQuorumkitError } from '../errors.js';
import type { RaftNode } from '../raft/node.js';
import { RequestValidator, errorFromResult } from './errors.js';
import { resolveKvClientOptions, type KvClientOptions, type ResolvedKvClientOptions } from './options.js';
import { KvStateMachine, type RangeOptions } from './state-machine.js';
import type { CompareTarget, DeleteResult, ErrorResult, ExtResult, KeySelector, KeyValue, KvResult, LeaseInfo, PutResult, RangeResult, RevokeResult, TxnRequest, TxnResult } from './types.js';
import type { Watcher, WatchOptions } from './watch.js';

/** How current a read must be. */
export interface ReadOptions {
  /** `linearizable` (default): reflects every write committed before the call; `stale`: this replica's copy, answers without a quorum. */
  readonly consistency?: 'linearizable' | 'stale';
}

/** One session's numbering. */
interface SessionState {
  readonly id: number;
  seq: number;
  /** Sequence numbers in flight, ascending (each new one is the largest yet): a short array, no hashing per write. */
  readonly inflight: number[];
}

type Ok<T extends KvResult['kind']> = Extract<KvResult, { kind: T }>;

/**
 * The client API of the replicated KV store, bound to one `RaftNode` whose
 * state machine is a {@link KvStateMachine}.
 *
 * Errors say whether the write was certainly not applied (`definite`):
 * `NotLeaderError`, `InvalidInputError`, `PreconditionFailedError`,
 * `NoQuorumError` before anything was appended; `TimeoutError` or
 * `NoQuorumError` with `definite: false` after it may have been.
 *
 * @example
 * ```ts
 * const kv = new KvClient(node);
 * await kv.put('services/api', JSON.stringify({ port: 80 }));
 * const v = await kv.get('services/api');               // linearizable
 * const s = await kv.get('services/api', { consistency: 'stale' });
 * ```
 */
export class KvClient {
  private readonly o: ResolvedKvClientOptions;
  private readonly check: RequestValidator;
  private session: SessionState | null = null;
  private opening: Promise<SessionState> | null = null;

  constructor(
    /** The node this client proposes through. */
    readonly node: RaftNode<KvResult>,
    options: KvClientOptions = {},
  ) {
    if (!(node.stateMachine instanceof KvStateMachine)) throw new InvalidConfigError('KvClient: expected a RaftNode whose stateMachine is a KvStateMachine');
    this.o = resolveKvClientOptions(options);
    this.check = new RequestValidator(this.o);
  }

  /** The local replica's state machine. */
  get stateMachine(): KvStateMachine {
    return this.node.stateMachine as KvStateMachine;
  }

  // ---- writes ---------------------------------------------------------------

  /** Set a key; resolves with the new revision and the previous value. */
  put(key: string, value: Uint8Array | string, options: { readonly lease?: number } = {}): Promise<PutResult> {
    // Not async: one promise less per put; invalid input still rejects rather than throws.
    let body: CommandBody;
    try {
      body = { type: 'put', key: this.check.key(key), value: this.check.value(value), lease: this.check.uint(options.lease ?? 0, 'lease') };
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return this.write(body, 'put');
  }

  /** Delete a key, a prefix (`{ key, prefix: true }`) or a range (`{ key, end }`). */
  async delete(key: string | KeySelector): Promise<DeleteResult> {
    const sel = this.check.selector(typeof key === 'string' ? { key } : key, true);
    return this.write({ type: 'delete', sel }, 'delete');
  }

  /**
   * Put `value` only if the key's `target` equals `expected` (for example
   * `modRevision` 0: only if absent). Rejects with `PreconditionFailedError`
   * (definite) if it does not.
   *
   * @example
   * ```ts
   * const cur = await kv.get('leader');
   * await kv.compareAndSet('leader', 'modRevision', cur?.modRevision ?? 0, 'me');
   * ```
   */
  async compareAndSet(key: string, target: CompareTarget, expected: Uint8Array | string | number, value: Uint8Array | string): Promise<PutResult> {
    const exp = typeof expected === 'number' ? expected : this.check.value(expected);
    const r = await this.txn({ compare: [{ key, target, op: '=', value: exp }], success: [{ type: 'put', key, value: this.check.value(value) }], failure: [] });
    if (!r.succeeded) throw new PreconditionFailedError(`compareAndSet: ${target} of ${JSON.stringify(key)} is not ${typeof expected === 'number' ? expected : 'the expected value'}`);
    return r.results[0] as PutResult;
  }

  /** An etcd-style transaction: if every compare holds run `success`, else `failure`, atomically. */
  async txn(request: TxnRequest): Promise<TxnResult> {
    return this.write({ type: 'txn', ...this.check.txn(request) }, 'txn');
  }

  /** Forget history at or below `revision` (watches and reads before it fail with `CompactedError`). */
  async compact(revision: number): Promise<void> {
    await this.write({ type: 'compact', revision: this.check.uint(revision, 'revision') }, 'compact');
  }

  /** Grant a lease of `ttlMs` (replicated time); attach keys with `put(k, v, { lease: id })`. */
  async grantLease(ttlMs: number): Promise<LeaseInfo> {
    return this.write({ type: 'leaseGrant', ttlMs: this.check.uint(ttlMs, 'ttlMs') }, 'lease');
  }

  /** Push a lease's expiry to now + its TTL. Rejects with `PreconditionFailedError` if it is gone. */
  async keepAlive(id: number): Promise<LeaseInfo> {
    return this.write({ type: 'leaseKeepAlive', id: this.check.uint(id, 'lease') }, 'lease');
  }

  /** Revoke a lease, deleting its keys. */
  async revokeLease(id: number): Promise<RevokeResult> {
    return this.write({ type: 'leaseRevoke', id: this.check.uint(id, 'lease') }, 'revoke');
  }

  /** Run a command of a {@link KvExtension} (what `MembershipStore` uses). */
  async ext(name: string, payload: unknown): Promise<ExtResult> {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidInputError('ext: expected an extension name');
    return this.write({ type: 'ext', name, payload }, 'ext');
  }

  /** Close this client's session (its remembered results are dropped). */
  async close(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s === null) return;
    const cmd = encodeKvCommand({ ts: this.o.clock.now(), session: s.id, seq: ++s.seq, ack: s.seq }, { type: 'sessionClose' });
    await this.node.propose(cmd).catch(() => undefined);
  }

  // ---- reads ----------------------------------------------------------------

  /** A key's value, or null. */
  async get(key: string, options: ReadOptions = {}): Promise<KeyValue | null> {
    const k = this.check.key(key, 'key', true);
    await this.barrier(options);
    return this.stateMachine.get(k);
  }

  /** Keys by prefix or range, with `limit` and an optional past `revision`. */
  async range(sel: KeySelector, options: ReadOptions & RangeOptions = {}): Promise<RangeResult> {
    const s = this.check.selector(sel, false);
    await this.barrier(options);
    return this.stateMachine.range(s, options);
  }

  /** Watch this replica's applied events (see {@link KvStateMachine.watch}). */
  watch(sel: KeySelector, options: WatchOptions = {}): Watcher {
    return this.stateMachine.watch(this.check.selector(sel, false), options);
  }

  /**
   * Wait until this replica reflects every write committed before the call.
   * Fails with `NoQuorumError` within about `leaderWaitMs` once no leader is
   * known (a leader without a quorum steps down within an election timeout).
   */
  async barrier(options: ReadOptions = {}): Promise<void> {
    if (options.consistency === 'stale') return;
    if (options.consistency !== undefined && options.consistency !== 'linearizable') throw new InvalidInputError(`consistency: expected 'linearizable' or 'stale'`);
    const deadline = this.o.clock.now() + this.o.requestTimeoutMs;
    for (;;) {
      await this.leaderOrNoQuorum(deadline, true);
      const outcome = await this.untilLeaderLost(this.node.read());
      if (outcome === 'ok') return;
      if (this.o.clock.now() >= deadline) throw new TimeoutError('Linearizable read timed out', { definite: true });
    }
  }

  // ---- internals ------------------------------------------------------------

  /** Resolve 'ok' when `p` does, 'lost' if it fails because no leader is known (RaftNode fails reads fast then). */
  private untilLeaderLost(p: Promise<void>): Promise<'ok' | 'lost'> {
    return p.then(
      () => 'ok' as const,
      (e: unknown) => {
        if (isQuorumkitError(e, 'NOT_LEADER')) return 'lost' as const;
        throw e instanceof Error ? e : new Error(String(e));
      },
    );
  }

  /** Return at once if a leader is known; else wait up to `leaderWaitMs` for one, then fail with `NoQuorumError`. */
  private async leaderOrNoQuorum(deadline: number, definite: boolean): Promise<void> {
    if (this.node.leaderId !== null) return;
    const wait = Math.max(1, Math.min(this.o.leaderWaitMs, deadline - this.o.clock.now()));
    try {
      await this.node.waitForLeader(wait);
    } catch (e) {
      if (isQuorumkitError(e, 'TIMEOUT')) throw new NoQuorumError(`No quorum: no leader became known within ${wait} ms`, { definite, cause: e });
      throw e;
    }
  }

  private async write<K extends KvResult['kind']>(body: CommandBody, kind: K): Promise<Ok<K>> {
    const deadline = this.o.clock.now() + this.o.requestTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      // No await on the hot path when a session and a leader exist: proposals of many callers then share one batch.
      const s = this.o.sessions ? (this.session ?? (await this.openSession(deadline))) : null;
      const r = await this.proposeInSession(body, s, deadline);
      // A session that expired before our first attempt could apply: nothing was applied; start a new one once.
      if (r.kind === 'error' && r.code === 'SESSION_EXPIRED' && attempt === 0 && r.fresh) {
        if (this.session === s) this.session = null;
        continue;
      }
      if (r.kind === 'error') throw errorFromResult(r);
      if (r.kind !== kind) throw new QuorumkitError('DECODE', `Expected a ${kind} result, got ${r.kind}`);
      return r as Ok<K>;
    }
  }

  /** Propose one command under one (session, seq), retrying across leader changes until the deadline. */
  private async proposeInSession(body: CommandBody, s: SessionState | null, deadline: number): Promise<Exclude<KvResult, ErrorResult> | (ErrorResult & { fresh: boolean })> {
    const seq = s === null ? 0 : ++s.seq;
    s?.inflight.push(seq);
    let maybeApplied = false;
    try {
      for (;;) {
        if (this.node.leaderId === null) await this.leaderOrNoQuorum(deadline, !maybeApplied);
        const cmd = encodeKvCommand({ ts: this.o.clock.now(), session: s?.id ?? 0, seq, ack: s === null ? 0 : lowest(s) }, body);
        try {
          const r = await this.node.propose(cmd);
          return r.kind === 'error' ? { ...r, fresh: !maybeApplied } : r;
        } catch (e) {
          maybeApplied = this.onProposeError(e, s !== null, maybeApplied, deadline);
        }
      }
    } finally {
      if (s !== null) settled(s, seq);
    }
  }

  /** Decide whether a failed proposal is retried (returns the new maybe-applied flag) or rethrown. */
  private onProposeError(e: unknown, inSession: boolean, maybeApplied: boolean, deadline: number): boolean {
    if (!isQuorumkitError(e)) throw e;
    const indefinite = e.definite !== true;
    const after = maybeApplied || indefinite;
    const expired = this.o.clock.now() >= deadline;
    // No leader known: wait for one (or fail fast with NoQuorumError). A known other leader (forwarding off) is the caller's to follow.
    if (e.code === 'NOT_LEADER' && !expired && this.node.leaderId === null) return after;
    if ((e.code === 'LEADERSHIP_LOST' || e.code === 'TIMEOUT') && inSession && !expired) return after;
    if (e.code === 'LEADERSHIP_LOST' || e.code === 'TIMEOUT' || e.code === 'NOT_LEADER') {
      if (this.node.leaderId === null) throw new NoQuorumError('No quorum: the write could not commit', { definite: !after, cause: e });
    }
    throw e;
  }

  private openSession(deadline: number): Promise<SessionState> {
    if (this.session !== null) return Promise.resolve(this.session);
    this.opening ??= (async () => {
      try {
        const r = await this.proposeInSession({ type: 'sessionOpen' }, null, deadline);
        if (r.kind !== 'session') throw r.kind === 'error' ? errorFromResult(r) : new QuorumkitError('DECODE', `Expected a session result, got ${r.kind}`);
        this.session = { id: r.id, seq: 0, inflight: [] };
        return this.session;
      } finally {
        this.opening = null;
      }
    })();
    return this.opening;
  }
}

/** The lowest sequence number still in flight (or the next one): every one below it was answered. */
function lowest(s: SessionState): number {
  return s.inflight[0] ?? s.seq + 1;
}

/** `seq` was answered: drop it from the in-flight list. */
function settled(s: SessionState, seq: number): void {
  const i = s.inflight[0] === seq ? 0 : s.inflight.indexOf(seq);
  if (i === 0) s.inflight.shift();
  else if (i > 0) s.inflight.splice(i, 1);
}
