/**
 * A cluster of `examples/kv-server.ts` processes on 127.0.0.1 for the
 * multi-process tests and the soak: ports chosen at run time, a data
 * directory per node under one temp directory, and a {@link LinkProxy} on
 * every link so the harness can partition and delay. Node `a` reaches node
 * `b` at the proxy of the pair; the proxy forwards to `b`'s real Raft port.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkProxy } from './proxy.js';
import { ServerProcess, reservePorts } from './procs.js';
import { request } from './workload.js';

/** Options of {@link ProcessCluster.start}. */
export interface ClusterOptions {
  /** Number of processes (3 or 5). */
  readonly nodes: number;
  /** Minimum election timeout of every node, ms. @default 300 */
  readonly electionTimeoutMs?: number;
  /** Extra arguments for every server. */
  readonly extraArgs?: readonly string[];
}

/** Server status, as `GET /status` returns it. */
export interface NodeStatus {
  /** The node's id. */
  readonly id: string;
  /** `leader`, `follower`, `candidate`, … */
  readonly role: string;
  /** Current term. */
  readonly term: number;
  /** The leader it knows, or null. */
  readonly leaderId: string | null;
  /** Highest index known committed. */
  readonly commitIndex: number;
  /** Highest index applied to its state machine. */
  readonly appliedIndex: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Processes, proxies and data directories of one test cluster. */
export class ProcessCluster {
  private constructor(
    /** The processes, by index; ids are `n1`…`nN`. */
    readonly procs: readonly ServerProcess[],
    /** One proxy per pair of nodes, keyed `a->b` in dial direction (smaller id first). */
    readonly proxies: ReadonlyMap<string, LinkProxy>,
    /** The temp directory holding every node's data directory. */
    readonly dir: string,
  ) {}

  /** Allocate ports, start proxies and every process, and wait for a leader. Everything is cleaned up if it fails. */
  static async start(o: ClusterOptions): Promise<ProcessCluster> {
    const ids = Array.from({ length: o.nodes }, (_, i) => `n${i + 1}`);
    const dir = await mkdtemp(join(tmpdir(), 'quorumkit-mp-'));
    const reserved = await reservePorts(2 * ids.length);
    const raftPort = (i: number): number => reserved.ports[2 * i]!;
    const httpPort = (i: number): number => reserved.ports[2 * i + 1]!;
    const proxies = new Map<string, LinkProxy>();
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const p = new LinkProxy(`${ids[i]}->${ids[j]}`, { host: '127.0.0.1', port: raftPort(j) });
        proxies.set(p.name, p);
        await p.listen();
      }
    }
    await reserved.release();
    const procs = ids.map((id, i) => {
      const peers = ids.map((peer, j) => {
        const raft = i === j ? `127.0.0.1:${raftPort(j)}` : proxies.get(i < j ? `${id}->${peer}` : `${peer}->${id}`)!.address;
        return `${peer}=${raft}/${httpPort(j)}`;
      });
      const args = ['--id', id, '--peers', peers.join(','), '--data', join(dir, id), '--cluster', 'mp', '--election-ms', String(o.electionTimeoutMs ?? 300), ...(o.extraArgs ?? [])];
      return new ServerProcess(id, args, `127.0.0.1:${httpPort(i)}`);
    });
    const cluster = new ProcessCluster(procs, proxies, dir);
    try {
      await Promise.all(procs.map((p) => p.start()));
      // Every node must know the leader before clients start, or a write to one that does not yet fails fast.
      await cluster.waitForLeader(30_000, true);
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
    return cluster;
  }

  /** The ids, in order. */
  get ids(): string[] {
    return this.procs.map((p) => p.id);
  }

  /** A process by id. */
  proc(id: string): ServerProcess {
    const p = this.procs.find((q) => q.id === id);
    if (p === undefined) throw new Error(`No node ${id}`);
    return p;
  }

  /** The proxy on the link between `a` and `b`. */
  link(a: string, b: string): LinkProxy {
    const p = this.proxies.get(a < b ? `${a}->${b}` : `${b}->${a}`);
    if (p === undefined) throw new Error(`No link ${a}-${b}`);
    return p;
  }

  /** `GET /status` of one node, or null if it does not answer within `timeoutMs`. */
  async status(id: string, timeoutMs = 1000): Promise<NodeStatus | null> {
    const a = await request(this.proc(id).httpAddress, 'GET', '/status', null, timeoutMs);
    return a.status === 200 ? (JSON.parse(a.body) as NodeStatus) : null;
  }

  /** The leader that a majority of the answering nodes name (with `everyone`, every running node), or null. */
  async leader(everyone = false): Promise<string | null> {
    const up = this.procs.filter((p) => p.state === 'up');
    const all = await Promise.all(up.map((p) => this.status(p.id)));
    const votes = new Map<string, number>();
    for (const s of all) if (s?.leaderId) votes.set(s.leaderId, (votes.get(s.leaderId) ?? 0) + 1);
    const needed = everyone ? up.length : Math.floor(this.procs.length / 2) + 1;
    for (const [id, n] of votes) if (n >= needed) return id;
    return null;
  }

  /** Poll until a majority (with `everyone`, every running node) names the same leader; throws after `timeoutMs`. */
  async waitForLeader(timeoutMs: number, everyone = false): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const l = await this.leader(everyone);
      if (l !== null) return l;
      await sleep(100);
    }
    throw new Error(`No leader within ${timeoutMs} ms\n${this.procs.map((p) => `--- ${p.id}\n${p.log}`).join('\n')}`);
  }

  /** Cut `id` off from every other node. */
  isolate(id: string): void {
    for (const other of this.ids) if (other !== id) this.link(id, other).partition();
  }

  /** Cut every link between the two groups. */
  split(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) this.link(x, y).partition();
  }

  /** Heal every link and clear every delay. */
  healAll(): void {
    for (const p of this.proxies.values()) p.heal();
  }

  /** Resume paused processes and start stopped ones. */
  async reviveAll(): Promise<void> {
    for (const p of this.procs) p.resume();
    await Promise.all(this.procs.filter((p) => p.state === 'down').map((p) => p.start()));
  }

  /** SIGKILL every process, close every proxy, delete the data. Safe to call twice. */
  async destroy(): Promise<void> {
    await Promise.allSettled(this.procs.map((p) => p.kill()));
    await Promise.allSettled([...this.proxies.values()].map((p) => p.close()));
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
