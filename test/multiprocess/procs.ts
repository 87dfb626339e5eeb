/**
 * One server process of the multi-process harness: `examples/kv-server.ts`
 * run by `process.execPath --import tsx`, started, SIGKILLed and restarted
 * on the same ports and data directory, paused with SIGSTOP and resumed.
 * Every child is also SIGKILLed when the harness process exits, however it exits.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root (children run there so `--import tsx` and the `quorumkit` paths resolve). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The server module every child runs. */
export const SERVER_MODULE = fileURLToPath(new URL('../../examples/kv-server.ts', import.meta.url));

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Reserve `n` distinct free ports on 127.0.0.1; call `release()` just before using them. */
export async function reservePorts(n: number): Promise<{ ports: number[]; release: () => Promise<void> }> {
  const servers: net.Server[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve());
    });
    servers.push(s);
  }
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  const release = async (): Promise<void> => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  return { ports, release };
}

/** What a process is doing, as far as the harness knows. */
export type ProcState = 'down' | 'up' | 'paused';

/** A server process that can be started, killed, paused and resumed. */
export class ServerProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private logTail: string[] = [];
  /** Current state. */
  state: ProcState = 'down';
  /** How many times it was started. */
  starts = 0;

  constructor(
    /** The node id. */
    readonly id: string,
    /** Arguments to the server module. */
    readonly args: readonly string[],
    /** `host:port` of its HTTP client port. */
    readonly httpAddress: string,
  ) {}

  /** The last lines the process wrote to stderr/stdout, for failure reports. */
  get log(): string {
    return this.logTail.join('\n');
  }

  /** Start it and wait for its ready line; retries a few times if it exits early (a port briefly taken). */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.state !== 'down') throw new Error(`${this.id} is ${this.state}`);
    let lastError: unknown = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.spawnOnce(timeoutMs);
        this.state = 'up';
        this.starts++;
        return;
      } catch (e) {
        lastError = e;
        await this.kill();
        await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
      }
    }
    throw new Error(`${this.id} did not start: ${String(lastError)}\n${this.log}`);
  }

  private spawnOnce(timeoutMs: number): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER_MODULE, ...this.args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    this.exited = new Promise((resolve) => child.once('exit', () => (live.delete(child), resolve())));
    const keep = (d: Buffer): void => {
      this.logTail.push(...d.toString().trimEnd().split('\n'));
      if (this.logTail.length > 60) this.logTail = this.logTail.slice(-60);
    };
    child.stderr!.on('data', keep);
    return new Promise<void>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`${this.id}: no ready line within ${timeoutMs} ms`)), timeoutMs);
      child.stdout!.on('data', (d: Buffer) => {
        keep(d);
        buf += d.toString();
        if (buf.includes('"event":"ready"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`${this.id} exited (${code ?? sig}) before it was ready`));
      });
    });
  }

  /** SIGKILL (works on a paused process too) and wait for the exit. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = null;
    this.state = 'down';
    if (c === null) return;
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the process freezes with its sockets open. */
  pause(): void {
    if (this.state !== 'up' || this.child === null) return;
    this.child.kill('SIGSTOP');
    this.state = 'paused';
  }

  /** SIGCONT. */
  resume(): void {
    if (this.state !== 'paused' || this.child === null) return;
    this.child.kill('SIGCONT');
    this.state = 'up';
  }

  /** SIGTERM (after SIGCONT if paused), SIGKILL if it has not exited within `graceMs`. Resolves with whether it exited by itself. */
  async terminate(graceMs = 5000): Promise<boolean> {
    const c = this.child;
    if (c === null) return true;
    if (this.state === 'paused') c.kill('SIGCONT');
    c.kill('SIGTERM');
    const clean = await Promise.race([this.exited.then(() => c.exitCode === 0), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
    await this.kill();
    return clean;
  }
}
