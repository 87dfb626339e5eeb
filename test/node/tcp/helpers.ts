/** Test helpers for the TCP transport: throwaway certificates, bounded waits, raw peers. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { encodeRaftFrame } from '../../../src/codec/raft.js';
import { wholeFrame, type Lane } from '../../../src/node/tcp/framing.js';
import { encodeHello, hello, type Hello } from '../../../src/node/tcp/handshake.js';
import { parseAddress } from '../../../src/node/tcp/options.js';
import type { Message } from '../../../src/raft/core/types.js';

/** Wait until `cond()` holds, polling every `stepMs`, at most `timeoutMs`; returns whether it held. */
export async function waitFor(cond: () => boolean, timeoutMs = 15_000, stepMs = 10): Promise<boolean> {
  for (let waited = 0; waited <= timeoutMs; waited += stepMs) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

/** A CA and one certificate (CN = id) per node id, made with the openssl CLI in a temp dir. */
export interface TestPki {
  readonly ca: string;
  readonly certs: Record<string, { cert: string; key: string }>;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Generate a throwaway PKI. Every certificate expires in a day. */
export function makePki(ids: readonly string[], caName = 'quorumkit-test-ca'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'qk-pki-'));
  try {
    openssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', `/CN=${caName}`, '-days', '1']);
    writeFileSync(join(dir, 'ext.cnf'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n');
    const certs: Record<string, { cert: string; key: string }> = {};
    for (const id of ids) {
      openssl(dir, ['req', ...EC, '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${id}`]);
      openssl(dir, ['x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${id}.crt`, '-days', '1', '-extfile', 'ext.cnf']);
      certs[id] = { cert: readFileSync(join(dir, `${id}.crt`), 'utf8'), key: readFileSync(join(dir, `${id}.key`), 'utf8') };
    }
    return { ca: readFileSync(join(dir, 'ca.crt'), 'utf8'), certs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A raw client socket that speaks the transport's framing by hand (to misbehave on purpose). */
export class RawPeer {
  readonly received: Buffer[] = [];
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (b: Buffer) => this.received.push(b));
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  /** Connect (plain, or TLS with the given cert) and wait until connected. */
  static async connect(address: string, tlsOpts?: tls.ConnectionOptions): Promise<RawPeer> {
    const { host, port } = parseAddress(address, 'address');
    const socket = tlsOpts ? tls.connect({ host, port, ...tlsOpts, checkServerIdentity: () => undefined }) : net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once(tlsOpts ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  /** Send a hello (by default a valid one for `clusterId`, from `from` to `to`). */
  hello(h: Hello): void {
    this.socket.write(wholeFrame(encodeHello(h), 'control'));
  }

  /** Send a valid hello and wait for the answer. */
  async handshake(clusterId: string, from: string, to: string): Promise<void> {
    this.hello(hello(clusterId, from, to));
    await waitFor(() => this.received.length > 0 || this.closed);
  }

  /** Send Raft messages as one frame. */
  sendMessages(msgs: Message[], lane: Lane = 'control'): void {
    this.socket.write(wholeFrame(encodeRaftFrame(msgs), lane));
  }

  /** Close the socket. */
  destroy(): void {
    this.socket.destroy();
  }
}
