/**
 * Mutants for the simulator's own tests: copy `src/` to a temporary
 * directory, apply one textual patch to one file, and import the simulator
 * from the copy (vitest transforms TypeScript anywhere). The published bundle
 * carries none of this: the mutation exists only in the copy.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One re-introduced bug: replace `find` (which must occur exactly once) in `file` (under src/). */
export interface Mutant {
  readonly name: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** The simulator modules of a mutated copy of src/. */
export interface MutatedSim {
  readonly sweep: typeof import('../../src/testing/sim/sweep.js').sweep;
  readonly scenarioRun: typeof import('../../src/testing/sim/scenarios.js').scenarioRun;
  readonly runSim: typeof import('../../src/testing/sim/run.js').runSim;
  readonly passed: typeof import('../../src/testing/sim/run.js').passed;
  /** Remove the copy. */
  dispose(): void;
}

/** Copy src/, apply `m`, and import the simulator from the copy. Throws if the patch does not apply exactly once. */
export async function loadMutant(m: Mutant): Promise<MutatedSim> {
  const dir = mkdtempSync(join(tmpdir(), `qk-mutant-${m.name}-`));
  cpSync(SRC, join(dir, 'src'), { recursive: true });
  const path = join(dir, 'src', m.file);
  const text = readFileSync(path, 'utf8');
  const hits = text.split(m.find).length - 1;
  if (hits !== 1) throw new Error(`mutant ${m.name}: expected the patch to match once in ${m.file}, got ${hits}`);
  writeFileSync(path, text.replace(m.find, m.replace));
  const sim = join(dir, 'src', 'testing', 'sim');
  const sweepMod = (await import(join(sim, 'sweep.ts'))) as typeof import('../../src/testing/sim/sweep.js');
  const scen = (await import(join(sim, 'scenarios.ts'))) as typeof import('../../src/testing/sim/scenarios.js');
  const run = (await import(join(sim, 'run.ts'))) as typeof import('../../src/testing/sim/run.js');
  return { sweep: sweepMod.sweep, scenarioRun: scen.scenarioRun, runSim: run.runSim, passed: run.passed, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The seven bugs of issue 3, and the pipelined-write version of ack-before-fsync, each a one-place patch. */
export const MUTANTS = {
  noBlankEntry: {
    name: 'no-blank-entry', file: 'raft/core/raft.ts',
    find: 'this.appendEntries([{ term: this.term, index: this.log.lastIndex() + 1, type: EntryType.Noop, data: new Uint8Array(0) }]);',
    replace: '',
  },
  ackBeforeFsync: {
    name: 'ack-before-fsync', file: 'raft/core/follower.ts',
    find: 'r.sendAfterPersist(appResp(r, m.from, lastNew, false));', replace: 'r.send(appResp(r, m.from, lastNew, false));',
  },
  ackBeforeDurablePipelined: {
    name: 'ack-before-durable-pipelined', file: 'raft/persist.ts',
    find: '    for (const m of after) b.after.push(m);', replace: '    this.hooks.durable(after, null, null);',
  },
  forgetVote: {
    name: 'forget-vote', file: 'raft/core/raft.ts',
    find: `    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }`,
    replace: `    this.term = term;
    this.vote = null;`,
  },
  localReads: {
    name: 'local-reads', file: 'raft/core/reads.ts',
    find: `export function readIndex(r: RaftCore, ctx: number): ReadIndexResult {
  if (r.role === 'leader') {`,
    replace: `export function readIndex(r: RaftCore, ctx: number): ReadIndexResult {
  if (r.role !== 'precandidate') {
    r.readStates.push({ index: r.log.committed, ctx });
    return { ok: true };
  }
  if (r.role === 'leader') {`,
  },
  commitOldTerm: {
    name: 'commit-old-term', file: 'raft/core/leader.ts',
    find: 'if (idx <= r.log.committed || r.log.term(idx) !== r.term) return false;',
    replace: 'if (idx <= r.log.committed) return false;',
  },
  noCheckQuorum: {
    name: 'no-check-quorum', file: 'raft/core/raft.ts',
    find: 'if (this.opts.checkQuorum && !checkQuorumActive(this)) {',
    replace: 'if (false && this.opts.checkQuorum && !checkQuorumActive(this)) {',
  },
  truncateAtCorruption: {
    name: 'truncate-at-corruption', file: 'storage/file/recovery.ts',
    find: 'const where = last ? ',
    replace: 'if (end > 0) return { records, tear: { kind: \'truncate\', at: end } };\n  const where = last ? ',
  },
} as const satisfies Record<string, Mutant>;

/** Bugs of the real replicated KV, hunted by real-KV runs. */
export const KV_MUTANTS = {
  ignoreSessionDedupe: {
    name: 'ignore-session-dedupe', file: 'kv/state-machine.ts',
    find: "case 'duplicate': return this.sessions.duplicate as KvResult;", replace: "case 'duplicate': return this.safeExec(cmd, index);",
  },
  snapshotForgetsSessions: {
    name: 'snapshot-forgets-sessions', file: 'kv/snapshot.ts',
    find: 'const sessions = s.sessions.all().map((x) => [x.id, x.lastActive, x.ackBelow, [...x.results]]);', replace: 'const sessions: unknown[] = [];',
  },
  staleGet: {
    name: 'stale-get', file: 'kv/state-machine.ts',
    find: `  get(key: string): KeyValue | null {
    return this.keys.get(key);`,
    replace: `  get(key: string): KeyValue | null {
    const rev = this.keys.revision - 1;
    if (rev > this.keys.compactRevision && rev > 0) return this.keys.range({ key }, 1, rev).kvs[0] ?? null;
    return this.keys.get(key);`,
  },
} as const satisfies Record<string, Mutant>;

/** How a mutant is hunted: a named scenario or plain swarm runs, seeds 1…budget, with extra run options. */
export interface Hunt {
  readonly mutant: Mutant;
  readonly scenario?: string;
  readonly nodes: number;
  readonly budget: number;
  readonly options?: { readonly kv?: 'sim' | 'real' | 'auto'; readonly writes?: 'sync' | 'pipelined' | 'auto' };
}

/** The first seed in 1…budget whose run fails a check (or the scenario's expectation), or null. */
export async function firstCaught(sim: MutatedSim, h: Hunt): Promise<{ seed: number; why: string } | null> {
  for (let seed = 1; seed <= h.budget; seed++) {
    const base = { seed, nodes: h.nodes, steps: 5000, ...h.options };
    const { result, ok } = h.scenario !== undefined ? await sim.scenarioRun(h.scenario, base) : { result: await sim.runSim(base), ok: false };
    const failed = h.scenario !== undefined ? !ok : !sim.passed(result);
    if (failed) return { seed, why: result.violations[0]?.invariant ?? `leader=${result.leaderAfterHeal} settled=${result.settled} converged=${result.converged}` };
  }
  return null;
}
