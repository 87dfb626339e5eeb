/**
 * Clients of the multi-process harness: reads and writes of unique values
 * over the servers' HTTP ports, each recorded as a {@link KvOp} with call
 * and return times on the harness's monotonic clock and an outcome:
 * `ok` (answered), `fail` (an error the server says is definite: nothing
 * applied) or `info` (anything else: a timeout, a reset, a 5xx that may
 * have applied). One fresh connection per request, and never a retry, so a
 * value is sent at most once.
 * @module
 */
import http from 'node:http';
import type { KvOp, KvValue } from '../../src/testing/linearizability/index.js';

/** What one HTTP exchange produced. */
export interface HttpAnswer {
  /** The status, or null if the request failed or timed out. */
  readonly status: number | null;
  /** The body as text ('' on failure). */
  readonly body: string;
  /** The `location` header, if any. */
  readonly location?: string;
}

/** One HTTP request to `host:port` with a timeout; never throws. */
export function request(address: string, method: string, path: string, body: string | null, timeoutMs: number): Promise<HttpAnswer> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: HttpAnswer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(a);
    };
    const req = http.request({ host, port, method, path, agent: false, headers: body === null ? {} : { 'content-length': Buffer.byteLength(body) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => finish({ status: res.statusCode ?? null, body: Buffer.concat(parts).toString(), ...(res.headers.location ? { location: res.headers.location } : {}) }));
      res.on('error', () => finish({ status: null, body: '' }));
    });
    const timer = setTimeout(() => {
      finish({ status: null, body: '' });
      req.destroy();
    }, timeoutMs);
    req.on('error', () => finish({ status: null, body: '' }));
    req.end(body ?? undefined);
  });
}

/** Whether an error answer says, in its JSON body, that nothing was applied. */
function definite(a: HttpAnswer): boolean {
  try {
    return (JSON.parse(a.body) as { definite?: unknown }).definite === true;
  } catch {
    return false;
  }
}

/** Follow up to two redirects (307 from a follower run with `--redirect`). */
async function follow(address: string, method: string, path: string, body: string | null, timeoutMs: number): Promise<HttpAnswer> {
  let a = await request(address, method, path, body, timeoutMs);
  for (let i = 0; i < 2 && a.status === 307 && a.location !== undefined; i++) {
    const u = new URL(a.location);
    a = await request(u.host, method, u.pathname + u.search, body, timeoutMs);
  }
  return a;
}

/** Records a history of operations against a set of servers. */
export class History {
  /** Every operation, in call order. */
  readonly ops: KvOp[] = [];
  private readonly t0 = performance.now();

  /** Milliseconds since this history began. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Linearizable read of `key` via `address`. Not-found is an `ok` read of null. */
  async read(client: number, address: string, key: string, timeoutMs: number): Promise<KvOp> {
    const call = this.now();
    const a = await follow(address, 'GET', `/kv/${encodeURIComponent(key)}`, null, timeoutMs);
    const ret = this.now();
    const absent = a.status === 404 && /"NO_KEY"/.test(a.body);
    const op: KvOp =
      a.status === 200 || absent
        ? { client, key, kind: 'read', output: absent ? null : (a.body as KvValue), call, return: ret, outcome: 'ok' }
        : { client, key, kind: 'read', call, outcome: 'fail' };
    return this.push(op);
  }

  /** Write `value` to `key` via `address`. */
  async write(client: number, address: string, key: string, value: string, timeoutMs: number): Promise<KvOp> {
    const call = this.now();
    const a = await follow(address, 'PUT', `/kv/${encodeURIComponent(key)}`, value, timeoutMs);
    const ret = this.now();
    const outcome = a.status === 200 ? 'ok' : a.status !== null && definite(a) ? 'fail' : 'info';
    return this.push({ client, key, kind: 'write', input: value, call, ...(outcome === 'ok' ? { return: ret } : {}), outcome });
  }

  private push(op: KvOp): KvOp {
    op.id = this.ops.length;
    this.ops.push(op);
    return op;
  }

  /** Counts by kind and outcome, e.g. `{ 'write ok': 120, 'read fail': 3 }`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const op of this.ops) out[`${op.kind} ${op.outcome}`] = (out[`${op.kind} ${op.outcome}`] ?? 0) + 1;
    return out;
  }
}

/** Options of {@link runClients}. */
export interface ClientOptions {
  /** Number of concurrent clients. */
  readonly clients: number;
  /** Keys they share. */
  readonly keys: readonly string[];
  /** Fraction of operations that are writes. */
  readonly writeRatio: number;
  /** Per-request timeout, ms (a timed-out write is `info`). */
  readonly timeoutMs: number;
  /** Pause between a client's operations, ms (bounds the history's size). */
  readonly thinkMs: number;
  /** HTTP addresses a client may use now (the harness leaves out nodes it knows are down). */
  readonly targets: () => readonly string[];
  /** Whether to keep going. */
  readonly running: () => boolean;
  /** Randomness in [0, 1). */
  readonly random: () => number;
}

/** Run closed-loop clients until `running()` turns false; values are `c<client>-<n>`, unique per history. */
export async function runClients(h: History, o: ClientOptions): Promise<void> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(o.random() * xs.length)]!;
  const client = async (c: number): Promise<void> => {
    let n = 0;
    while (o.running()) {
      const targets = o.targets();
      if (targets.length > 0) {
        const key = pick(o.keys);
        if (o.random() < o.writeRatio) await h.write(c, pick(targets), key, `c${c}-${++n}`, o.timeoutMs);
        else await h.read(c, pick(targets), key, o.timeoutMs);
      }
      await new Promise((r) => setTimeout(r, o.thinkMs * (0.5 + o.random())));
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
}
