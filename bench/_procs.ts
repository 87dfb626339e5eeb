/**
 * A 3-process bench cluster: each node a child process (`_node-proc.ts`,
 * run by `node --import tsx`) on TcpTransport over loopback, with
 * MemoryStorage or FileStorage in `<dir>/<id>`; commands go over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromChild, ToChild } from './_node-proc.js';

const here = dirname(fileURLToPath(import.meta.url));

/** One forked node and a queue of its answers. */
class Child {
  private readonly answers: FromChild[] = [];
  private waiting: ((m: FromChild) => void) | null = null;
  private readonly proc: ChildProcess;

  constructor(readonly id: string) {
    this.proc = fork(join(here, '_node-proc.ts'), [], { execArgv: ['--import', 'tsx'], cwd: join(here, '..'), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: FromChild) => {
      if (this.waiting !== null) {
        const w = this.waiting;
        this.waiting = null;
        w(m);
      } else this.answers.push(m);
    });
  }

  /** Send `m` and wait for the answer of type `type` (a child error rejects; 60 s at most). */
  async ask<T extends FromChild['type']>(m: ToChild, type: T): Promise<Extract<FromChild, { type: T }>> {
    this.proc.send(m);
    const a = this.answers.shift() ?? (await new Promise<FromChild>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.id}: no answer to ${m.type} in 60 s`)), 60_000);
      this.waiting = (x) => (clearTimeout(t), resolve(x));
    }));
    if (a.type === 'error') throw new Error(`${this.id}: ${a.message}`);
    if (a.type !== type) throw new Error(`${this.id}: expected ${type}, got ${a.type}`);
    return a as Extract<FromChild, { type: T }>;
  }

  /** Ask the node to stop, then make sure the process is gone. */
  async stop(): Promise<void> {
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    if (this.proc.connected) this.proc.send({ type: 'stop' } satisfies ToChild);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
}

/** Three node processes; node 0 is made leader and runs the clients. */
export class ProcCluster {
  private constructor(private readonly children: Child[]) {}

  /** Fork, connect and elect; `dir` null = MemoryStorage. */
  static async start(ids: readonly string[], dir: string | null): Promise<ProcCluster> {
    const children = ids.map((id) => new Child(id));
    const c = new ProcCluster(children);
    try {
      const addrs = await Promise.all(children.map((ch, i) => ch.ask({ type: 'init', id: ch.id, ids: [...ids], dir, seed: i + 1 }, 'listening')));
      const addresses = Object.fromEntries(children.map((ch, i) => [ch.id, addrs[i]!.address]));
      await Promise.all(children.map((ch) => ch.ask({ type: 'peers', addresses }, 'ready')));
      await children[0]!.ask({ type: 'campaign' }, 'leader');
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  /** Closed-loop clients on the leader for `ms` (each thinking 0…2 × `thinkMs` between commits). */
  load(clients: number, ms: number, thinkMs = 0): Promise<Extract<FromChild, { type: 'loaded' }>> {
    return this.children[0]!.ask({ type: 'load', clients, ms, thinkMs }, 'loaded');
  }

  /** Durable saves and saved entries of each node so far (leader first). */
  counts(): Promise<Extract<FromChild, { type: 'counts' }>[]> {
    return Promise.all(this.children.map((ch) => ch.ask({ type: 'counts' }, 'counts')));
  }

  /** Stop every process. */
  async stop(): Promise<void> {
    await Promise.all(this.children.map((ch) => ch.stop()));
  }
}
