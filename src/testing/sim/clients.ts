/**
 * Simulated clients: each runs one operation at a time (a linearizable read
 * through `readIndex`, a write or a compare-and-set with a unique value) on a
 * small hot key set, against the node it believes leads. Every operation is
 * recorded with its call and return in virtual time and an outcome: ok,
 * fail (surely not applied) or info (unknown). Each client draws only from
 * its own PRNG stream, so adding one changes no other stream.
 * @module
 */
import type { KvOp, KvValue } from '../linearizability/kv-model.js';
import type { NodeId } from '../../raft/core/types.js';
import type { Prng } from '../../util/prng.js';
import { encodeCommand, type SimCommand } from './kv-sm.js';
import type { RaftSim, SimObserver } from './raft-sim.js';
import type { SimNode } from './sim-node.js';

interface Client {
  readonly id: string;
  readonly rng: Prng;
  seq: number;
  hint: NodeId | null;
  readonly seen: Map<string, KvValue>;
}

interface Pending {
  readonly op: KvOp & { outcome: KvOp['outcome'] };
  readonly client: Client;
  node: SimNode;
  inc: number;
  cmd: SimCommand | null;
  ctx: number;
  readIndex: number;
  timer: unknown;
  retries: number;
}

/** An acknowledged write's place in the log (for the durable-on-a-majority check). */
export interface AckedEntry {
  /** Log index. */
  readonly index: number;
  /** Term. */
  readonly term: number;
}

/** The clients of one run, and the history they record. */
export class SimClients implements SimObserver {
  /** Finished operations, in the order they finished. */
  readonly history: KvOp[] = [];
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
  private nextCtx = 1;
  private nextId = 0;

  constructor(private readonly sim: RaftSim) {
    sim.observer = this;
    this.clients = Array.from({ length: sim.o.clients }, (_, i) => ({ id: `c${i + 1}`, rng: sim.streams.client(i + 1), seq: 0, hint: null, seen: new Map() }));
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
    const key = `k${c.rng.int(this.sim.o.keys)}`;
    const r = c.rng.next();
    const call = this.sim.loop.now;
    const id = this.nextId++;
    const base = { id, client: c.id, key, call, outcome: 'info' as const };
    const value = `${c.id}-${c.seq + 1}`;
    const op: KvOp = r < 0.5 ? { ...base, kind: 'read' } : r < 0.8 ? { ...base, kind: 'write', input: value } : { ...base, kind: 'cas', input: { expected: c.seen.get(key) ?? null, value } };
    const node = this.pick(c);
    if (node === undefined) return this.finish({ op, client: c } as Pending, 'fail');
    const p: Pending = { op, client: c, node, inc: node.incarnation, cmd: null, ctx: 0, readIndex: -1, timer: null, retries: 0 };
    p.timer = this.sim.loop.schedule(this.sim.o.opTimeoutMs, () => this.timeout(p));
    if (op.kind === 'read') this.startRead(p);
    else {
      p.cmd = op.kind === 'write' ? { c: c.id, s: ++c.seq, k: key, t: 'w', v: value } : { c: c.id, s: ++c.seq, k: key, t: 'c', v: value, e: op.input.expected };
      this.writes.set(`${c.id}:${p.cmd.s}`, p);
      this.propose(p);
    }
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
      if (node.core === null || node.incarnation !== inc || !this.writes.has(`${p.client.id}:${p.cmd!.s}`)) return;
      const r = node.core.propose([{ data: encodeCommand(p.cmd!) }]);
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
    if (!duplicate) {
      const had = this.effects.get(key);
      if (had !== undefined && had !== index) this.sim.checker.violations.push({ invariant: 'one-effect', detail: `${key} took effect at ${had} and ${index}`, time: this.sim.loop.now });
      this.effects.set(key, index);
    }
    const p = this.writes.get(key);
    if (p === undefined || p.node !== n || p.inc !== n.incarnation) return;
    const a = { index, term };
    this.acked.push(a);
    this.onAck(a);
    if (p.op.kind === 'cas') p.op.output = ok;
    p.client.hint = n.core?.currentLeader ?? null;
    this.finish(p, 'ok');
  }

  readsReady(n: SimNode, states: readonly { index: number; ctx: number }[]): void {
    for (const s of states) {
      const p = this.reads.get(s.ctx);
      if (p !== undefined && p.node === n && p.inc === n.incarnation) p.readIndex = s.index;
    }
    for (const p of this.reads.values()) {
      if (p.node !== n || p.readIndex < 0 || p.readIndex > n.sm.index || p.inc !== n.incarnation) continue;
      p.op.output = n.sm.kv.get(p.op.key) ?? null;
      p.client.seen.set(p.op.key, p.op.output);
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
    if (p.cmd !== null && this.sim.o.retryWrites && p.retries < 5 && this.active) {
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
    if (p.cmd !== null && p.cmd !== undefined) this.writes.delete(`${p.client.id}:${p.cmd.s}`);
    if (p.ctx > 0) this.reads.delete(p.ctx);
    p.op.outcome = outcome;
    if (outcome !== 'info') p.op.return = this.sim.loop.now;
    if (outcome === 'ok' && p.op.kind !== 'read') p.client.seen.set(p.op.key, p.op.kind === 'write' || p.op.output === true ? (p.op.kind === 'write' ? p.op.input : p.op.input.value) : p.client.seen.get(p.op.key) ?? null);
    this.sim.counters.add(outcome === 'ok' ? 'clientOk' : outcome === 'fail' ? 'clientFail' : 'clientInfo');
    this.sim.trace.append(this.sim.loop.now, 'op', p.op.client, p.op.kind, outcome, p.op.output === undefined ? null : String(p.op.output));
    this.history.push(p.op);
    this.next(p.client);
  }

  /** Give up on everything still pending (outcome info), at the end of a run. */
  abandon(): void {
    this.active = false;
    for (const p of [...this.writes.values(), ...this.reads.values()]) this.finish(p, 'info');
  }
}
