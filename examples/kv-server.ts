/**
 * A replicated key-value server: one process is a `RaftNode` + `KvStateMachine`
 * on `TcpTransport` and `FileStorage`, with an HTTP client port:
 *
 * - `GET /kv/<key>` — the value (linearizable; `?stale=1` reads this replica's copy); 404 if absent
 * - `PUT /kv/<key>` — body = value; `DELETE /kv/<key>`
 * - `GET /status` — role, term, leader, commit and applied indexes
 *
 * Start three (see the README):
 * ```sh
 * PEERS=n1=127.0.0.1:7001/8001,n2=127.0.0.1:7002/8002,n3=127.0.0.1:7003/8003
 * npx tsx examples/kv-server.ts --id n1 --peers $PEERS --data data/n1
 * ```
 * A peer is `id=host:raftPort/clientPort`. Followers forward writes to the
 * leader; with `--redirect` they answer `307` with the leader's client address
 * instead. Errors are JSON `{ error, message, definite }`: `definite: true`
 * means the write was certainly not applied. SIGTERM stops the node cleanly.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { KvClient, KvStateMachine, RaftNode, isQuorumkitError, type KvResult } from 'quorumkit';
import { TcpTransport, createFileStorage } from 'quorumkit/node';

/** One member: where its Raft port and its client (HTTP) port are. */
export interface PeerAddress {
  /** `host:port` of the Raft transport. */
  readonly raft: string;
  /** `host:port` of the HTTP client port, if known (used for redirects). */
  readonly client: string | null;
}

/** Everything a server needs; see {@link parseKvServerArgs}. */
export interface KvServerConfig {
  /** This node's id. */
  readonly id: string;
  /** Every member, this one included. */
  readonly peers: Readonly<Record<string, PeerAddress>>;
  /** Interface both ports listen on. */
  readonly host: string;
  /** Raft port (0: any free one). */
  readonly raftPort: number;
  /** HTTP client port (0: any free one). */
  readonly httpPort: number;
  /** Directory of the write-ahead log and snapshots. */
  readonly dataDir: string;
  /** Cluster id; storage or peers of another cluster are refused. */
  readonly clusterId: string;
  /** Minimum election timeout, ms. */
  readonly electionTimeoutMs: number;
  /** Answer 307 to writes on a follower instead of forwarding them. */
  readonly redirect: boolean;
}

/** A running server. */
export interface KvServer {
  /** The configuration it runs with. */
  readonly config: KvServerConfig;
  /** The Raft node. */
  readonly node: RaftNode<KvResult>;
  /** `host:port` the Raft transport listens on. */
  readonly raftAddress: string;
  /** `host:port` the HTTP port listens on. */
  readonly httpAddress: string;
  /** Stop serving, stop the node, close storage. Idempotent. */
  close(): Promise<void>;
}

/** Split `host:port` (IPv6 in brackets). */
function splitHostPort(a: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(a);
  if (m === null) throw new Error(`Expected host:port, got ${JSON.stringify(a)}`);
  return [m[1]!, Number(m[2])];
}

/** Parse `id=host:raftPort[/clientPort | /host:clientPort],...`. */
export function parsePeers(spec: string): Record<string, PeerAddress> {
  const out: Record<string, PeerAddress> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=([^/]+)(?:\/(.+))?$/.exec(part);
    if (m === null) throw new Error(`Expected id=host:port[/clientPort] in --peers, got ${JSON.stringify(part)}`);
    const [host] = splitHostPort(m[2]!);
    const client = m[3] === undefined ? null : /^\d+$/.test(m[3]) ? `${host}:${m[3]}` : m[3];
    if (client !== null) splitHostPort(client);
    out[m[1]!] = { raft: m[2]!, client };
  }
  return out;
}

/**
 * Options from argv (`--id`, `--peers`, `--data`, `--host`, `--raft-port`,
 * `--http-port`, `--cluster`, `--election-ms`, `--redirect`), falling back to
 * env (`QK_ID`, `QK_PEERS`, `QK_DATA`, `QK_HOST`, `QK_RAFT_PORT`,
 * `QK_HTTP_PORT`, `QK_CLUSTER`, `QK_ELECTION_MS`, `QK_REDIRECT=1`). Ports
 * default to this node's entry in `--peers`.
 */
export function parseKvServerArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): KvServerConfig {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`Unexpected argument ${JSON.stringify(a)}`);
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (a === '--redirect') flags.set('redirect', '1');
    else flags.set(a.slice(2), argv[++i] ?? '');
  }
  const get = (flag: string, envName: string): string | undefined => flags.get(flag) ?? env[envName];
  const id = get('id', 'QK_ID');
  if (!id) throw new Error('Expected --id (or QK_ID)');
  const peers = parsePeers(get('peers', 'QK_PEERS') ?? '');
  const self = peers[id];
  if (self === undefined) throw new Error(`Expected ${id} among --peers (id=host:raftPort/clientPort,...)`);
  const [selfHost, selfRaft] = splitHostPort(self.raft);
  const selfHttp = self.client === null ? undefined : splitHostPort(self.client)[1];
  const num = (flag: string, envName: string, dflt: number | undefined): number => {
    const v = get(flag, envName);
    const n = v === undefined ? dflt : Number(v);
    if (n === undefined || !Number.isInteger(n) || n < 0) throw new Error(`Expected --${flag} as a non-negative integer, got ${JSON.stringify(v)}`);
    return n;
  };
  return {
    id,
    peers,
    host: get('host', 'QK_HOST') ?? selfHost,
    raftPort: num('raft-port', 'QK_RAFT_PORT', selfRaft),
    httpPort: num('http-port', 'QK_HTTP_PORT', selfHttp),
    dataDir: get('data', 'QK_DATA') ?? `data/${id}`,
    clusterId: get('cluster', 'QK_CLUSTER') ?? 'kv',
    electionTimeoutMs: num('election-ms', 'QK_ELECTION_MS', 300),
    redirect: (get('redirect', 'QK_REDIRECT') ?? '0') === '1',
  };
}

/** Start a server with `config`; resolves once both ports listen. */
export async function startKvServer(config: KvServerConfig): Promise<KvServer> {
  const others = Object.fromEntries(Object.entries(config.peers).filter(([p]) => p !== config.id).map(([p, a]) => [p, a.raft]));
  const transport = new TcpTransport({ id: config.id, clusterId: config.clusterId, host: config.host, port: config.raftPort, peers: others });
  const raftAddress = await transport.listen();
  const clients = Object.fromEntries(Object.entries(config.peers).flatMap(([p, a]) => (a.client === null ? [] : [[p, a.client]])));
  const node = new RaftNode<KvResult>({
    id: config.id,
    peers: Object.keys(config.peers),
    transport,
    storage: createFileStorage(config.dataDir, { clusterId: config.clusterId, nodeId: config.id }),
    stateMachine: new KvStateMachine(),
    electionTimeoutMs: config.electionTimeoutMs,
    heartbeatIntervalMs: Math.max(10, Math.round(config.electionTimeoutMs / 5)),
    forwardProposals: !config.redirect,
    // NotLeaderError.leaderAddress then names the leader's client port, which is what a redirect needs.
    addresses: clients,
  });
  node.on('error', (e) => console.error(`[${config.id}] node error: ${e.message}`));
  try {
    await node.start();
  } catch (e) {
    await transport.close();
    throw e;
  }
  const kv = new KvClient(node);
  const http = createServer((req, res) => void handle(kv, req, res));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.httpPort, config.host, () => resolve());
  });
  const a = http.address() as AddressInfo;
  const httpAddress = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      http.close();
      http.closeAllConnections();
      await node.stop();
    })());
  return { config, node, raftAddress, httpAddress, close };
}

/** Read a request body of at most `limit` bytes. */
async function body(req: IncomingMessage, limit = 1 << 20): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > limit) throw Object.assign(new Error('Body too large'), { status: 413 });
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(`${JSON.stringify(value)}\n`);
}

async function handle(kv: KvClient, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/status' && req.method === 'GET') return json(res, 200, status(kv.node));
    if (!url.pathname.startsWith('/kv/') || url.pathname.length === 4) return json(res, 404, { error: 'NOT_FOUND', message: 'Try /kv/<key> or /status', definite: true });
    const key = decodeURIComponent(url.pathname.slice(4));
    if (req.method === 'GET') {
      const stale = url.searchParams.get('stale') === '1';
      const kvp = await kv.get(key, { consistency: stale ? 'stale' : 'linearizable' });
      if (kvp === null) return json(res, 404, { error: 'NO_KEY', key, definite: true });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-mod-revision': String(kvp.modRevision) });
      return void res.end(kvp.value);
    }
    if (req.method === 'PUT') return json(res, 200, { revision: (await kv.put(key, await body(req))).revision });
    if (req.method === 'DELETE') {
      const r = await kv.delete(key);
      return json(res, 200, { revision: r.revision, deleted: r.deleted });
    }
    return json(res, 405, { error: 'METHOD', message: `${req.method} is not supported`, definite: true });
  } catch (e) {
    fail(res, req, e);
  }
}

/** Map an error to a response: 307 to the leader, 503 (no quorum), 504 (timed out), else 500; `definite` says whether the write surely did not apply. */
function fail(res: ServerResponse, req: IncomingMessage, e: unknown): void {
  if (res.headersSent) return void res.destroy();
  const status = (e as { status?: number }).status;
  if (typeof status === 'number') return json(res, status, { error: 'BAD_REQUEST', message: String((e as Error).message), definite: true });
  if (!isQuorumkitError(e)) return json(res, 500, { error: 'INTERNAL', message: String(e), definite: false });
  const definite = e.definite === true;
  const body = { error: e.code, message: e.message, definite };
  if (isQuorumkitError(e, 'NOT_LEADER')) {
    const addr = (e as { leaderAddress?: string | null }).leaderAddress ?? null;
    if (addr !== null) return json(res, 307, { ...body, leader: addr }, { location: `http://${addr}${req.url ?? '/'}` });
  }
  const code = e.code === 'TIMEOUT' ? 504 : e.code === 'NO_QUORUM' || e.code === 'NOT_LEADER' || e.code === 'STOPPED' ? 503 : e.code === 'INVALID_INPUT' ? 400 : 500;
  json(res, code, body);
}

function status(node: RaftNode<KvResult>): Record<string, unknown> {
  const s = node.status();
  return { id: s.id, role: s.role, term: s.term, leaderId: s.leaderId, commitIndex: s.commitIndex, appliedIndex: s.appliedIndex, lastLogIndex: s.lastLogIndex, voters: s.voters };
}

/**
 * Start a server from command-line arguments and print one JSON line
 * `{"event":"ready",...}` once it serves. Tests call it in-process.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), print: (line: string) => void = console.log): Promise<KvServer> {
  const server = await startKvServer(parseKvServerArgs(argv));
  print(JSON.stringify({ event: 'ready', id: server.config.id, raft: server.raftAddress, http: server.httpAddress }));
  return server;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const server = await main();
    const shutdown = (signal: string) => {
      console.error(`[${server.config.id}] ${signal}: stopping`);
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
