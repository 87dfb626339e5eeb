/**
 * One multi-process run, shared by the CI smoke test and `npm run soak`:
 * start N server processes, run clients and a nemesis (SIGKILL + restart,
 * SIGSTOP/SIGCONT past the election timeout, proxy partitions, link delays)
 * for a bounded time, heal, read every key from every node, and check the
 * history with the linearizability checker and the durability check.
 * Every process is killed and every proxy closed at the end, even on failure.
 * @module
 */
import { checkKvDurability, checkLinearizability, formatCheckResult, describeKvOp, kvModel, type CheckResult, type DurabilityViolation, type KvOp, type KvValue } from '../../src/testing/linearizability/index.js';
import { createPrng, type Prng } from '../../src/util/prng.js';
import { ProcessCluster } from './cluster.js';
import { History, runClients } from './workload.js';

/** Options of {@link runScenario}. */
export interface ScenarioOptions {
  /** Number of server processes. */
  readonly nodes: number;
  /** How long clients and faults run, ms. */
  readonly durationMs: number;
  /** Seed of every random choice the harness makes. */
  readonly seed: number;
  /** Concurrent clients. @default 4 */
  readonly clients?: number;
  /** Number of keys. @default 8 */
  readonly keys?: number;
  /** Mean quiet time between faults, ms. @default 1500 */
  readonly faultGapMs?: number;
  /** Minimum election timeout of the servers, ms. @default 300 */
  readonly electionTimeoutMs?: number;
  /** Pause between a client's operations, ms. @default 20 */
  readonly thinkMs?: number;
  /** Progress lines. @default nothing */
  readonly log?: (line: string) => void;
}

/** What a run did and found. */
export interface ScenarioReport {
  /** The seed the run used. */
  readonly seed: number;
  /** Number of server processes. */
  readonly nodes: number;
  /** SIGKILLs (each followed by a restart on the same data directory). */
  readonly kills: number;
  /** SIGSTOP/SIGCONT pauses. */
  readonly pauses: number;
  /** Proxy partitions (one node isolated, or a 2|3 split of five). */
  readonly partitions: number;
  /** Periods of added link delay. */
  readonly delays: number;
  /** Restarts after SIGKILL that came back (same data directory). */
  readonly restarts: number;
  /** Operations by kind and outcome. */
  readonly counts: Record<string, number>;
  /** Operations in the history, final reads included. */
  readonly operations: number;
  /** Acknowledged writes. */
  readonly ackedWrites: number;
  /** Final reads (one per key per node) that answered. */
  readonly finalReads: number;
  /** The linearizability verdict. */
  readonly linearizable: CheckResult<KvOp>['result'];
  /** Durability violations: lost acknowledged writes and reads of values nobody wrote. */
  readonly violations: readonly DurabilityViolation[];
  /** Lost acknowledged writes (a subset of `violations`). */
  readonly lostWrites: number;
  /** A readable explanation when something is wrong, else ''. */
  readonly details: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Fault = 'kill' | 'pause' | 'partition' | 'delay';
const FAULTS: readonly Fault[] = ['kill', 'pause', 'partition', 'delay'];

/** Inject one fault of `kind` (half the time on the leader), hold it for 4–8 election timeouts, undo it. */
async function injectOne(c: ProcessCluster, rnd: Prng, kind: Fault, electionMs: number, log: (l: string) => void): Promise<void> {
  // Half the time the leader, the most disruptive target.
  const leader = rnd.next() < 0.5 ? await c.leader() : null;
  const target = leader ?? c.ids[rnd.int(c.ids.length)]!;
  const p = c.proc(target);
  const hold = electionMs * (4 + rnd.int(5));
  switch (kind) {
    case 'kill':
      log(`kill -9 ${target} for ${hold} ms`);
      await p.kill();
      await sleep(hold);
      await p.start();
      return;
    case 'pause':
      log(`SIGSTOP ${target} for ${hold} ms`);
      p.pause();
      await sleep(hold);
      p.resume();
      return;
    case 'partition': {
      if (c.ids.length >= 5 && rnd.next() < 0.5) {
        const shuffled = [...c.ids].sort(() => rnd.next() - 0.5);
        const minority = shuffled.slice(0, 2);
        log(`partition ${minority.join(',')} | ${shuffled.slice(2).join(',')} for ${hold} ms`);
        c.split(minority, shuffled.slice(2));
      } else {
        log(`isolate ${target} for ${hold} ms`);
        c.isolate(target);
      }
      await sleep(hold);
      c.healAll();
      return;
    }
    case 'delay': {
      const ms = 10 + rnd.int(60);
      log(`delay ${ms} ms on ${target}'s links for ${hold} ms`);
      for (const other of c.ids) if (other !== target) c.link(target, other).setDelay(ms);
      await sleep(hold);
      c.healAll();
      return;
    }
  }
}

/** Read every key from every node until each answers (bounded), appending to the history. */
async function finalReads(c: ProcessCluster, h: History, keys: readonly string[]): Promise<number> {
  let ok = 0;
  for (const p of c.procs) {
    for (const key of keys) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const op = await h.read(1000 + c.procs.indexOf(p), p.httpAddress, key, 5000);
        if (op.outcome === 'ok') {
          ok++;
          break;
        }
        await sleep(250);
      }
    }
  }
  return ok;
}

/** Run one scenario; see the module comment. Throws only if the cluster cannot be started or healed. */
export async function runScenario(o: ScenarioOptions): Promise<ScenarioReport> {
  const log = o.log ?? (() => undefined);
  const rnd = createPrng(o.seed);
  const electionMs = o.electionTimeoutMs ?? 300;
  const keys = Array.from({ length: o.keys ?? 8 }, (_, i) => `k${i}`);
  const tally = { kill: 0, pause: 0, partition: 0, delay: 0, restarts: 0 };
  const cluster = await ProcessCluster.start({ nodes: o.nodes, electionTimeoutMs: electionMs });
  try {
    log(`${o.nodes} processes up in ${cluster.dir}; seed ${o.seed}`);
    const h = new History();
    const end = performance.now() + o.durationMs;
    const running = (): boolean => performance.now() < end;
    const clientRnd = rnd.fork('clients');
    const clients = runClients(h, {
      clients: o.clients ?? 4,
      keys,
      writeRatio: 0.5,
      timeoutMs: 4 * electionMs + 3000,
      thinkMs: o.thinkMs ?? 20,
      targets: () => cluster.procs.filter((p) => p.state === 'up').map((p) => p.httpAddress),
      running,
      random: () => clientRnd.next(),
    });
    const nemesis = (async () => {
      let i = 0;
      while (running()) {
        await sleep((o.faultGapMs ?? 1500) * (0.5 + rnd.next()));
        if (!running()) break;
        // The first four faults cover every kind once; then random.
        const kind = i < FAULTS.length ? FAULTS[i]! : FAULTS[rnd.int(FAULTS.length)]!;
        i++;
        await injectOne(cluster, rnd, kind, electionMs, log);
        tally[kind]++;
        if (kind === 'kill') tally.restarts++;
      }
    })();
    await Promise.all([clients, nemesis]);
    cluster.healAll();
    await cluster.reviveAll();
    await cluster.waitForLeader(30_000);
    const finals = await finalReads(cluster, h, keys);
    log(`ops: ${JSON.stringify(h.counts())}; checking…`);
    return report(o, tally, h, finals);
  } catch (e) {
    log(`failed: ${e instanceof Error ? e.message : String(e)}\n${cluster.procs.map((p) => `--- ${p.id}\n${p.log}`).join('\n')}`);
    throw e;
  } finally {
    await cluster.destroy();
  }
}

function report(o: ScenarioOptions, t: { kill: number; pause: number; partition: number; delay: number; restarts: number }, h: History, finals: number): ScenarioReport {
  const lin = checkLinearizability<KvValue, KvOp>(h.ops, kvModel);
  const violations = checkKvDurability(h.ops);
  const lines: string[] = [];
  if (lin.result !== 'ok') lines.push(formatCheckResult(lin, describeKvOp));
  for (const v of violations.slice(0, 10)) lines.push(v.message);
  return {
    seed: o.seed,
    nodes: o.nodes,
    kills: t.kill,
    pauses: t.pause,
    partitions: t.partition,
    delays: t.delay,
    restarts: t.restarts,
    counts: h.counts(),
    operations: h.ops.length,
    ackedWrites: h.ops.filter((op) => op.kind === 'write' && op.outcome === 'ok').length,
    finalReads: finals,
    linearizable: lin.result,
    violations,
    lostWrites: violations.filter((v) => v.kind === 'lost-write').length,
    details: lines.join('\n'),
  };
}
