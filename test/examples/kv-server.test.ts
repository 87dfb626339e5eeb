/**
 * examples/kv-server.ts in-process: three servers started by `main(argv)`
 * with `--redirect`, reached over HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, parseKvServerArgs, parsePeers, type KvServer } from '../../examples/kv-server.js';
import { reservePorts } from '../multiprocess/procs.js';
import { request } from '../multiprocess/workload.js';

const servers: KvServer[] = [];
let dir = '';

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('examples/kv-server', () => {
  it('parses peers and options from argv and env', () => {
    expect(parsePeers('n1=127.0.0.1:7001/8001,n2=[::1]:7002/[::1]:8002,n3=h:1')).toEqual({
      n1: { raft: '127.0.0.1:7001', client: '127.0.0.1:8001' },
      n2: { raft: '[::1]:7002', client: '[::1]:8002' },
      n3: { raft: 'h:1', client: null },
    });
    const c = parseKvServerArgs(['--id', 'n2', '--redirect', '--data=/tmp/x'], { QK_PEERS: 'n1=127.0.0.1:7001/8001,n2=127.0.0.1:7002/8002', QK_ELECTION_MS: '500' });
    expect(c).toMatchObject({ id: 'n2', host: '127.0.0.1', raftPort: 7002, httpPort: 8002, dataDir: '/tmp/x', electionTimeoutMs: 500, redirect: true });
    expect(() => parseKvServerArgs(['--id', 'n9'], { QK_PEERS: 'n1=127.0.0.1:7001/8001' })).toThrow(/n9 among --peers/);
  });

  it('serves PUT, GET (linearizable and stale), DELETE and /status; a follower redirects writes to the leader', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorumkit-kvs-'));
    const { ports, release } = await reservePorts(6);
    await release();
    const peers = [1, 2, 3].map((i) => `n${i}=127.0.0.1:${ports[2 * i - 2]}/${ports[2 * i - 1]}`).join(',');
    for (const i of [1, 2, 3]) servers.push(await main(['--id', `n${i}`, '--peers', peers, '--data', join(dir, `n${i}`), '--redirect'], () => undefined));
    // Every server knows the same leader before the redirect is asked for.
    for (let i = 0; i < 100 && !servers.every((s) => s.node.leaderId !== null && s.node.leaderId === servers[0]!.node.leaderId); i++) await new Promise((r) => setTimeout(r, 100));
    const leaderId = await servers[0]!.node.waitForLeader(10_000);
    const leader = servers.find((s) => s.config.id === leaderId)!;
    const follower = servers.find((s) => s.config.id !== leaderId)!;

    const redirected = await request(follower.httpAddress, 'PUT', '/kv/greeting', 'hello', 5000);
    expect(redirected.status).toBe(307);
    expect(redirected.location).toBe(`http://${leader.httpAddress}/kv/greeting`);
    expect((await request(leader.httpAddress, 'PUT', '/kv/greeting', 'hello', 5000)).status).toBe(200);

    const read = await request(follower.httpAddress, 'GET', '/kv/greeting', null, 5000);
    expect([read.status, read.body]).toEqual([200, 'hello']);
    const stale = await request(follower.httpAddress, 'GET', '/kv/greeting?stale=1', null, 5000);
    expect(stale.status === 200 || stale.status === 404).toBe(true);
    const status = JSON.parse((await request(follower.httpAddress, 'GET', '/status', null, 5000)).body) as { leaderId: string; role: string };
    expect(status).toMatchObject({ leaderId, role: 'follower' });

    expect(JSON.parse((await request(leader.httpAddress, 'DELETE', '/kv/greeting', null, 5000)).body)).toMatchObject({ deleted: 1 });
    const gone = await request(leader.httpAddress, 'GET', '/kv/greeting', null, 5000);
    expect(gone.status).toBe(404);
    expect((await request(leader.httpAddress, 'POST', '/kv/greeting', null, 5000)).status).toBe(405);
  });
});
