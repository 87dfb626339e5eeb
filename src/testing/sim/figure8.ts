/**
 * The Figure 8 scenario of the Raft paper, scripted: a leader's entries of
 * term t reach one follower; a leader of t+1 writes its own entry at the
 * same index and dies; the first leader comes back in t+2 and re-replicates
 * its term-t entries in small messages. A correct leader commits them only
 * with an entry of t+2; one that commits by counting replicas is cut off
 * right then, and the leader of t+1 comes back to overwrite what was
 * committed — which the invariant checker reports.
 * @module
 */
import type { NodeId, Ready } from '../../raft/core/types.js';
import type { RaftSim } from './raft-sim.js';
import type { SimNode } from './sim-node.js';

const PAD = new TextEncoder().encode('x'.repeat(100));

/** State of one Figure 8 attempt. */
interface Attempt {
  stage: 0 | 1 | 2 | 3;
  l1: SimNode | null;
  f: SimNode | null;
  l2: SimNode | null;
  leaderSince: Map<NodeId, number>;
  /** The fault phase is on (the heal stops the script at once). */
  active: () => boolean;
}

/** Install the Figure 8 script on `sim`: an attempt every `everyMs` while `active()`. */
export function figure8(sim: RaftSim, everyMs: number, active: () => boolean): void {
  const a: Attempt = { stage: 0, l1: null, f: null, l2: null, leaderSince: new Map(), active };
  const all = (): NodeId[] => sim.nodes.map((n) => n.id);
  const cycle = (): void => {
    if (!active()) return;
    a.stage = 0;
    sim.fabric.heal();
    for (const n of sim.nodes) if (n.core === null && sim.ids.includes(n.id)) sim.boot(n);
    // Every step checks active(): a step that fired after the heal began (seed 500113 of figure-8,
    // 5 nodes) left a partition and a crash in place, and the heal's leader check failed on it.
    sim.loop.schedule(everyMs / 2, () => { if (active()) start(sim, a); });
    sim.loop.schedule(everyMs, cycle);
  };
  sim.loop.schedule(1000, cycle);
  // The heal removes this hook; the steps scheduled from it check active() themselves.
  sim.onPersist = (n, rd) => onReady(sim, a, n, rd, all);
}

/** Stage 1: cut the leader off with one follower, give it entries of its term, and crash it. */
function start(sim: RaftSim, a: Attempt): void {
  const l1 = sim.leader();
  const f = sim.members().find((n) => n !== l1 && n.core !== null);
  if (l1?.core == null || f === undefined) return;
  sim.fabric.partition([[l1.id, f.id], sim.nodes.map((n) => n.id).filter((id) => id !== l1.id && id !== f.id)]);
  for (let i = 0; i < 8; i++) l1.core.propose([{ data: PAD }]);
  sim.counters.add('figure8Attempts');
  sim.kick(l1);
  Object.assign(a, { stage: 1, l1, f });
  sim.loop.schedule(30, () => { if (a.active()) sim.crash(l1); });
}

function onReady(sim: RaftSim, a: Attempt, n: SimNode, rd: Ready, all: () => NodeId[]): void {
  if (rd.softState?.role === 'leader') a.leaderSince.set(n.id, n.core!.status().commitIndex);
  if (a.stage === 1 && rd.softState?.role === 'leader' && n !== a.l1 && n !== a.f) {
    // Stage 2: the leader of t+1 keeps its entry to itself, dies, and the first leader returns.
    a.stage = 2;
    a.l2 = n;
    sim.counters.add('figure8Rivals');
    sim.fabric.isolate(n.id, all());
    sim.loop.schedule(10, () => {
      if (!a.active()) return;
      sim.crash(n);
      sim.fabric.heal();
      if (a.l1 !== null) sim.boot(a.l1);
    });
    return;
  }
  const core = n.core;
  if (a.stage !== 2 || core === null || core.currentRole !== 'leader' || rd.hardState === null) return;
  const since = a.leaderSince.get(n.id) ?? Number.POSITIVE_INFINITY;
  const c = rd.hardState.commit;
  if (c <= since || (core.log.term(c) ?? core.currentTerm) >= core.currentTerm) return;
  // Stage 3: a leader just committed an entry of an older term by counting replicas. Cut it (and the
  // follower that shares its log) off before anyone learns more, and let the leader of t+1 return.
  a.stage = 3;
  sim.counters.add('oldTermCommits');
  sim.fabric.isolate(n.id, all());
  if (a.f !== null && a.f !== n) sim.fabric.isolate(a.f.id, all());
  sim.loop.schedule(10, () => { if (a.active()) sim.crash(n); });
  if (a.l2 !== null) sim.boot(a.l2);
}
