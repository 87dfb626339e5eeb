/**
 * What a simulated node applies committed entries to: the simulator's own
 * register machine (`kv-sm.ts`), or, in a real-KV run, a `KvStateMachine`
 * beside it (the sim state then only keeps the applied index, term and the
 * rolling hash). Restores and snapshots of the real KV are asynchronous:
 * they yield on the virtual clock every few keys, so they run across loop
 * events, and the simulator counts them as I/O in flight until they settle.
 * @module
 */
import { decodeConfig, toStored } from '../../raft/core/confchange.js';
import { EntryType, type Entry } from '../../raft/core/types.js';
import { entryHash } from './invariants.js';
import { applyCommand, decodeCommand, decodeKvState, emptyKvState, encodeKvState, foldHash } from './kv-sm.js';
import type { RaftSim } from './raft-sim.js';
import { applyReal, decodeRealSnapshot, encodeRealSnapshot, kvDigest, newReplicaKv } from './real-kv.js';
import type { SimNode } from './sim-node.js';

/** The replica state machines of one simulation. */
export class Replicas {
  constructor(private readonly sim: RaftSim, private readonly real: boolean) {}

  /** The state hash compared across replicas at equal applied index. */
  hash(n: SimNode): number {
    return this.real && n.kv !== null ? foldHash(n.sm.hash, kvDigest(n.kv)) : n.sm.hash;
  }

  /** Replace `n`'s state with a snapshot's (null: empty); a promise when the real KV restores. */
  load(n: SimNode, data: Uint8Array | null): void | Promise<void> {
    if (!this.real) {
      n.sm = data === null ? emptyKvState() : decodeKvState(data);
      return;
    }
    const kv = newReplicaKv(this.sim.loop.clock());
    if (data === null) {
      n.sm = emptyKvState();
      n.kv = kv;
      return;
    }
    const s = decodeRealSnapshot(data);
    n.kv = null;
    return kv.restore(s.kv).then(() => {
      n.sm = s.sm;
      n.kv = kv;
    });
  }

  /** The bytes of a snapshot of `n` at its applied index (captured now, even when delivered later). */
  snapshot(n: SimNode): Uint8Array | Promise<Uint8Array> {
    if (!this.real || n.kv === null) return encodeKvState(n.sm);
    const sm = encodeKvState(n.sm);
    return n.kv.snapshot().then((kv) => encodeRealSnapshot(decodeKvState(sm), kv));
  }

  /** Apply one committed entry, check the state hash, and tell the clients. */
  apply(n: SimNode, e: Entry): void {
    const sim = this.sim;
    n.sm.index = e.index;
    n.sm.term = e.term;
    if (e.type === EntryType.Config) {
      const c = decodeConfig(e.data);
      if (c !== null) n.config = toStored(c);
    }
    if (e.type === EntryType.Normal) n.sm.hash = foldHash(n.sm.hash, entryHash(e));
    if (this.real) return this.applyReal(n, e);
    sim.checker.stateHash(n.id, e.index, n.sm.hash);
    const cmd = e.type === EntryType.Normal ? decodeCommand(e.data) : null;
    if (cmd === null) return;
    const r = applyCommand(n.sm, cmd);
    if (r.duplicate) sim.counters.add('dedupedRetries');
    sim.observer?.applied(n, cmd.c, cmd.s, r.ok, e.index, e.term, r.duplicate);
  }

  private applyReal(n: SimNode, e: Entry): void {
    const a = e.type === EntryType.Normal && e.data.length > 0 && n.kv !== null ? applyReal(n.kv, e.data, e.index, e.term) : null;
    this.sim.checker.stateHash(n.id, e.index, this.hash(n));
    if (a !== null) this.sim.observer?.appliedKv?.(n, a, e.index, e.term);
  }
}
