/**
 * Simulated clients: each runs one operation at a time (a linearizable read
 * through `readIndex`, a write or a compare-and-set with a unique value) on a
 * small hot key set, against the node it believes leads. In a real-KV run
 * they run the operations of `kv-ops.ts` in an exactly-once session of the
 * `KvStateMachine` instead, node-table operations included. Every operation is
 * recorded with its call and return in virtual time and an outcome: ok,
 * fail (surely not applied) or info (unknown). Each client draws only from
 * its own PRNG stream, so adding one changes no other stream.
 * @module
 */
import { encodeKvCommand } from '../../codec/kv.js';
import type { KvOp, KvValue } from '../linearizability/kv-model.js';
import type { MemberOp } from '../linearizability/membership-model.js';
import type { NodeId } from '../../raft/core/types.js';
import type { Prng } from '../../util/prng.js';
import { encodeCommand } from './kv-sm.js';
import { drawRealOp, isMemberOp, readKey, readOutput, writeResult, type Seen, type SimOp } from './kv-ops.js';
import type { RaftSim, SimObserver } from './raft-sim.js';
import type { RealApply } from './real-kv.js';
import type { LogPosition, SimNode } from './sim-node.js';

interface Client {
  readonly id: string;
  readonly rng: Prng;
  seq: number;
  hint: NodeId | null;
  readonly seen: Map<string, KvValue>;
  /** Real-KV runs: mod revisions the client saw. */
  readonly revs: Map<string, number>;
  /** Real-KV runs: the session id (0: none yet). */
  session: number;
  /** Real-KV runs: the token of the session open in flight (0: none). */
  opening: number;
}

interface Pending {
  readonly op: SimOp;
  readonly client: Client;
  node: SimNode;
  inc: number;
  /** The command's key in {@link SimClients.writes} (client or session, and sequence), or null for a read. */
  cmd: { readonly key: string; readonly data: Uint8Array } | null;
  ctx: number;
  readIndex: number;
  timer: unknown;
  retries: number;
}

/** An acknowledged write's place in the log (for the durable-on-a-majority check). */
export type AckedEntry = LogPosition;

/** The clients of one run, and the history they record. */
export class SimClients implements SimObserver {
  /** Finished operations, in the order they finished. */
  readonly history: KvOp[] = [];
  /** Finished node-table operations (real-KV runs). */
  readonly memberHistory: MemberOp[] = [];
  /** Writes acknowledged to a client, with their log positions. */
  readonly acked: AckedEntry[] = [];
  /** Whether clients start new operations. */
  active = true;
  /** Called when a write is acknowledged (the durable-on-a-majority check). */
  onAck: (a: AckedEntry) => void = () => {};
  private readonly clients: Client[];
  private readonly writes = new Map<string, Pending>();
  private readonly reads = new Map<number, Pending>();
  private readonly effects = new Map<string, number>();
  private readonly opens = new Map<string, Client>();
  private readonly firstApply = new Map<string, number>();
  private nextCtx = 1;
  private nextId = 0;
  private readonly real: boolean;

  constructor(private readonly sim: RaftSim) {
    sim.observer = this;
    this.real = sim.kvMode === 'real';
    this.clients = Array.from({ length: sim.o.clients }, (_, i) => ({ id: `c${i + 1}`, rng: sim.streams.client(i + 1), seq: 0, hint: null, seen: new Map(), revs: new Map(), session: 0, opening: 0 }));
  }

  /** Send every operation to this node (null: back to leader hints), e.g. to read at a deposed leader. */
  pin(id: NodeId | null): void {
    this.pinned = id;
  }

  private pinned: NodeId | null = null;

  /** Schedule each client's first operation. */
  start(): void {
    for (const c of this.clients) this.next(c);
  }

  /** Operations not finished yet. */
  get pending(): number {
    return this.writes.size + this.reads.size;
  }

  private next(c: Client): void {
    this.sim.loop.schedule(c.rng.next() * 2 * this.sim.o.thinkMs, () => {
      if (this.active) this.issue(c);
    });
  }

  private issue(c: Client): void {
    if (this.real) return this.issueReal(c);
    const key = `k${c.rng.int(this.sim.o.keys)}`;
    const r = c.rng.next();
    const call = this.sim.loop.now;
    const id = this.nextId++;
    const base = { id, client: c.id, key, call, outcome: 'info' as const };
    const value = `${c.id}-${c.seq + 1}`;
    const op: KvOp = r < 0.5 ? { ...base, kind: 'read' } : r < 0.8 ? { ...base, kind: 'write', input: value } : { ...base, kind: 'cas', input: { expected: c.seen.get(key) ?? null, value } };
    const node = this.pick(c);
    if (node === undefined) return this.finish({ op, client: c } as Pending, 'fail');
    const seq = ++c.seq;
    const cmd = op.kind === 'read' ? null : { c: c.id, s: seq, k: key, v: value, ...(op.kind === 'write' ? { t: 'w' as const } : { t: 'c' as const, e: op.input.expected }) };
    this.run(op, c, node, cmd === null ? null : { key: `${c.id}:${seq}`, data: encodeCommand(cmd) });
  }

  private run(op: SimOp, c: Client, node: SimNode, cmd: Pending['cmd']): void {
    const p: Pending = { op, client: c, node, inc: node.incarnation, cmd, ctx: 0, readIndex: -1, timer: null, retries: 0 };
    p.timer = this.sim.loop.schedule(this.sim.o.opTimeoutMs, () => this.timeout(p));
    if (cmd === null) return this.startRead(p);
    this.writes.set(cmd.key, p);
    this.propose(p);
  }

  /** Real-KV runs: one operation in the client's session (a retry reuses its session and sequence number); reads need no session. */
  private issueReal(c: Client): void {
    const seq = c.seq + 1;
    const value = `${c.id}-${seq}`;
    const seen = (k: string): Seen | undefined => (c.seen.has(k) ? { value: c.seen.get(k) ?? null, rev: c.revs.get(k) ?? null } : undefined);
    const { op, body } = drawRealOp(c.rng, this.sim.o.keys, { id: this.nextId++, client: c.id, call: this.sim.loop.now }, value, seen);
    if (body !== null && c.session === 0) return this.openSession(c);
    const node = this.pick(c);
    if (node === undefined) return this.finish({ op, client: c } as Pending, 'fail');
    if (body !== null) c.seq = seq;
    const cmd = body === null ? null : { key: `s${c.session}:${seq}`, data: encodeKvCommand({ ts: this.sim.loop.now, session: c.session, seq, ack: seq }, body) };
    this.run(op, c, node, cmd);
  }

  /** Real-KV runs: open a session at the node the client believes leads (a proposal appended there, so its index names it). */
  private openSession(c: Client): void {
    const node = this.pick(c);
    const token = ++this.nextCtx;
    c.opening = token;
    this.sim.loop.schedule(this.sim.o.opTimeoutMs, () => {
      if (c.opening !== token) return;
      c.opening = 0;
      this.next(c);
    });
    if (node === undefined) return;
    const inc = node.incarnation;
    this.sim.atNode(node, () => {
      if (node.core === null || node.incarnation !== inc || c.opening !== token) return;
      const r = node.core.propose([{ data: encodeKvCommand({ ts: this.sim.loop.now, session: 0, seq: 0, ack: 0 }, { type: 'sessionOpen' }) }]);
      if (!r.ok || r.forwarded) {
        // Not the leader: try the one it names, after a think time.
        c.hint = r.ok ? node.core.currentLeader : r.leaderId;
        c.opening = 0;
        return this.next(c);
      }
      this.opens.set(`${node.id}:${r.index}:${r.term}`, c);
      this.sim.kick(node);
    });
  }

  /** The node the client believes leads, else a random live one (drawn from the client's own stream). */
  private pick(c: Client, avoid?: SimNode): SimNode | undefined {
    const up = this.sim.members().filter((n) => n.core !== null && n !== avoid);
    const hinted = up.find((n) => n.id === (this.pinned ?? c.hint));
    const r = c.rng.int(Math.max(1, up.length));
    return hinted ?? up[r];
  }

  private propose(p: Pending): void {
    const { node, inc } = p;
    this.sim.atNode(node, () => {
      if (node.core === null || node.incarnation !== inc || !this.writes.has(p.cmd!.key)) return;
      const r = node.core.propose([{ data: p.cmd!.data }]);
      if (!r.ok) {
        p.client.hint = r.leaderId;
        if (p.retries === 0) this.finish(p, 'fail');
        return;
      }
      this.sim.kick(node);
    });
  }

  private startRead(p: Pending): void {
    p.ctx = this.nextCtx++;
    this.reads.set(p.ctx, p);
    const { node, inc } = p;
    this.sim.atNode(node, () => {
      if (node.core === null || node.incarnation !== inc || !this.reads.has(p.ctx)) return;
      const r = node.core.readIndex(p.ctx);
      if (!r.ok) {
        p.client.hint = r.leaderId;
        return this.finish(p, 'fail');
      }
      this.sim.kick(node);
    });
  }

  applied(n: SimNode, client: string, seq: number, ok: boolean, index: number, term: number, duplicate: boolean): void {
    const key = `${client}:${seq}`;
    if (!duplicate) this.effected(key, index);
    const p = this.writes.get(key);
    if (p === undefined || p.node !== n || p.inc !== n.incarnation) return;
    const a = { index, term };
    this.acked.push(a);
    this.onAck(a);
    if (p.op.kind === 'cas') p.op.output = ok;
    p.client.hint = n.core?.currentLeader ?? null;
    this.finish(p, 'ok');
  }

  /** @internal Real-KV runs: answer the operation waiting on this command, and check it wrote at one index only. */
  appliedKv(n: SimNode, a: RealApply, index: number, term: number): void {
    const { cmd, result } = a;
    if (cmd.type === 'sessionOpen') {
      const c = this.opens.get(`${n.id}:${index}:${term}`);
      if (c === undefined || result.kind !== 'session' || c.opening === 0) return;
      this.opens.delete(`${n.id}:${index}:${term}`);
      c.opening = 0;
      c.session = result.id;
      return this.next(c);
    }
    if (cmd.session === 0) return;
    const key = `s${cmd.session}:${cmd.seq}`;
    const first = this.firstApply.get(key);
    if (first === undefined) this.firstApply.set(key, index);
    else if (first !== index) this.sim.counters.add('dedupedRetries');
    // Exactly once: a (session, sequence) writes at one index at most, however often it is retried.
    if (a.effect) this.effected(key, index);
    const p = this.writes.get(key);
    if (p === undefined || p.node !== n || p.inc !== n.incarnation) return;
    const end = writeResult(p.op, result);
    if (end.sessionLost && p.client.session === cmd.session) p.client.session = 0;
    if (end.seen !== null && !isMemberOp(p.op)) this.saw(p.client, p.op.key, end.seen);
    if (end.outcome === 'ok') {
      const ack = { index, term };
      this.acked.push(ack);
      this.onAck(ack);
    }
    p.client.hint = n.core?.currentLeader ?? null;
    this.finish(p, end.outcome);
  }

  private effected(key: string, index: number): void {
    const had = this.effects.get(key);
    if (had !== undefined && had !== index) this.sim.checker.violations.push({ invariant: 'one-effect', detail: `${key} took effect at ${had} and ${index}`, time: this.sim.loop.now });
    this.effects.set(key, index);
  }

  private saw(c: Client, key: string, s: Seen): void {
    c.seen.set(key, s.value);
    if (s.rev === null) c.revs.delete(key);
    else c.revs.set(key, s.rev);
  }

  readsReady(n: SimNode, states: readonly { index: number; ctx: number }[]): void {
    for (const s of states) {
      const p = this.reads.get(s.ctx);
      if (p !== undefined && p.node === n && p.inc === n.incarnation) p.readIndex = s.index;
    }
    for (const p of this.reads.values()) {
      if (p.node !== n || p.readIndex < 0 || p.readIndex > n.sm.index || p.inc !== n.incarnation) continue;
      if (this.real) {
        if (n.kv === null) continue;
        const s = readOutput(p.op, n.kv.get(readKey(p.op)));
        if (s !== null) this.saw(p.client, p.op.key, s);
      } else if (p.op.kind === 'read') {
        p.op.output = n.sm.kv.get(p.op.key) ?? null;
        p.client.seen.set(p.op.key, p.op.output);
      }
      this.finish(p, 'ok');
    }
  }

  down(n: SimNode): void {
    for (const p of [...this.writes.values(), ...this.reads.values()]) if (p.node === n) this.lost(p);
  }

  private timeout(p: Pending): void {
    p.timer = null;
    this.lost(p);
  }

  /** The node went away or the client gave up: retry a write if asked to, else the outcome is unknown. */
  private lost(p: Pending): void {
    if (p.cmd !== null && (this.sim.o.retryWrites || this.real) && p.retries < 5 && this.active) {
      const node = this.pick(p.client, p.node);
      if (node !== undefined) {
        p.retries++;
        this.sim.counters.add('clientRetries');
        p.node = node;
        p.inc = node.incarnation;
        if (p.timer !== null) this.sim.loop.cancel(p.timer);
        p.timer = this.sim.loop.schedule(this.sim.o.opTimeoutMs, () => this.timeout(p));
        return this.propose(p);
      }
    }
    this.finish(p, 'info');
  }

  private finish(p: Pending, outcome: KvOp['outcome']): void {
    if (p.timer !== null && p.timer !== undefined) this.sim.loop.cancel(p.timer);
    if (p.cmd !== null && p.cmd !== undefined) this.writes.delete(p.cmd.key);
    if (p.ctx > 0) this.reads.delete(p.ctx);
    p.op.outcome = outcome;
    if (outcome !== 'info') p.op.return = this.sim.loop.now;
    const op = p.op;
    if (!this.real && outcome === 'ok' && (op.kind === 'write' || op.kind === 'cas')) p.client.seen.set(op.key, op.kind === 'write' || op.output === true ? (op.kind === 'write' ? op.input : op.input.value) : p.client.seen.get(op.key) ?? null);
    this.sim.counters.add(outcome === 'ok' ? 'clientOk' : outcome === 'fail' ? 'clientFail' : 'clientInfo');
    this.sim.trace.append(this.sim.loop.now, 'op', p.op.client, p.op.kind, outcome, p.op.output === undefined ? null : String(p.op.output));
    if (isMemberOp(op)) this.memberHistory.push(op);
    else this.history.push(op);
    this.next(p.client);
  }

  /** Give up on everything still pending (outcome info), at the end of a run. */
  abandon(): void {
    this.active = false;
    for (const p of [...this.writes.values(), ...this.reads.values()]) this.finish(p, 'info');
  }
}
