/**
 * A TCP proxy for one link between two server processes, run in the harness
 * process on 127.0.0.1. The transport keeps one connection per pair of nodes
 * (the smaller id dials), so one proxy sits on each pair's link in the
 * direction it is dialed and carries both directions of that connection.
 * Faults: `partition()` cuts every connection and refuses new ones until
 * `heal()`; `setDelay(ms)` holds every chunk, both ways, for `ms` (order kept).
 * @module
 */
import net from 'node:net';

/** A chunk waiting for its release time. */
interface Held {
  readonly at: number;
  readonly data: Buffer;
}

/** Forwards `from` to `to`, delaying by `delay()` ms while keeping order. */
function pipeDelayed(from: net.Socket, to: net.Socket, delay: () => number): void {
  const queue: Held[] = [];
  let timer: NodeJS.Timeout | null = null;
  const pump = (): void => {
    timer = null;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.at <= now) {
      if (!to.destroyed) to.write(queue.shift()!.data);
      else queue.shift();
    }
    if (queue.length > 0) timer = setTimeout(pump, Math.max(1, queue[0]!.at - now));
  };
  from.on('data', (data: Buffer) => {
    const d = delay();
    if (d <= 0 && queue.length === 0) {
      // Back-pressure: a slow reader pauses the writer, so the proxy buffers little.
      if (!to.write(data)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
      return;
    }
    const last = queue.at(-1)?.at ?? 0;
    queue.push({ at: Math.max(performance.now() + d, last), data });
    timer ??= setTimeout(pump, Math.max(1, d));
  });
  from.on('close', () => {
    if (timer !== null) clearTimeout(timer);
    queue.length = 0;
  });
}

/** One proxied link. */
export class LinkProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private blocked = false;
  private delayMs = 0;
  private port = 0;
  /** Connections accepted and forwarded so far. */
  accepted = 0;

  constructor(
    /** A label for reports, e.g. `n1->n2`. */
    readonly name: string,
    /** The `host:port` the link leads to (the dialed node's Raft port). */
    readonly target: { host: string; port: number },
  ) {}

  /** Listen on 127.0.0.1 at a free port; resolves with `127.0.0.1:port`. */
  async listen(): Promise<string> {
    const server = net.createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this.address;
  }

  /** `127.0.0.1:port` of the proxy's listener. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Whether the link is cut. */
  get partitioned(): boolean {
    return this.blocked;
  }

  /** Cut every connection now and refuse new ones until {@link heal}. */
  partition(): void {
    this.blocked = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Let connections through again, with no delay. */
  heal(): void {
    this.blocked = false;
    this.delayMs = 0;
  }

  /** Hold every chunk for `ms` (0: none). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** Close the listener and every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.blocked || this.server === null) return void client.destroy();
    this.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    const delay = (): number => this.delayMs;
    pipeDelayed(client, upstream, delay);
    pipeDelayed(upstream, client, delay);
  }
}
