import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeFileSystem, createFileStorage } from '../../src/node.js';
import { isFsError } from '../../src/storage/fs.js';
import { runStorageSuite } from '../../src/testing/conformance/storage.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const roots: string[] = [];
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'quorumkit-fs-'));
  roots.push(d);
  return d;
};
afterAll(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});

describe('NodeFileSystem', () => {
  const fs = new NodeFileSystem();

  it('writes, appends, reads, truncates and syncs a file', async () => {
    const dir = await tempDir();
    const h = await fs.open(`${dir}/f`, { create: true });
    await h.append(enc('hello'));
    await h.write(enc('J'), 0);
    await h.append(enc(' world'));
    await h.sync();
    expect(await h.size()).toBe(11);
    expect(dec(await h.read(0, 100))).toBe('Jello world');
    await h.truncate(5);
    await h.append(enc('!'));
    expect(dec(await h.read(3, 10))).toBe('lo!');
    await h.close();
    expect(dec(await fs.readFile(`${dir}/f`))).toBe('Jello!');
  });

  it('creates exclusively, truncates on open and refuses writes on a read-only handle', async () => {
    const dir = await tempDir();
    await (await fs.open(`${dir}/f`, { create: true })).close();
    await expect(fs.open(`${dir}/f`, { create: true, exclusive: true })).rejects.toSatisfy((e) => isFsError(e, 'EEXIST'));
    const ro = await fs.open(`${dir}/f`);
    await expect(ro.append(enc('x'))).rejects.toSatisfy((e) => isFsError(e, 'EBADF'));
    await ro.close();
    const w = await fs.open(`${dir}/f`, { write: true });
    await w.append(enc('abc'));
    await w.close();
    await (await fs.open(`${dir}/f`, { truncate: true })).close();
    expect((await fs.readFile(`${dir}/f`)).length).toBe(0);
  });

  it('renames over, unlinks, lists sorted, makes directories and syncs them; errors carry Node codes', async () => {
    const dir = await tempDir();
    await fs.mkdir(`${dir}/a/b`);
    for (const n of ['z', 'm', 'tmp']) await (await fs.open(`${dir}/a/b/${n}`, { create: true })).close();
    await fs.rename(`${dir}/a/b/tmp`, `${dir}/a/b/z`);
    await fs.syncDir(`${dir}/a/b`);
    expect(await fs.readdir(`${dir}/a/b`)).toEqual(['m', 'z']);
    await fs.unlink(`${dir}/a/b/m`);
    expect(await fs.readdir(`${dir}/a/b`)).toEqual(['z']);
    await expect(fs.readFile(`${dir}/nope`)).rejects.toSatisfy((e) => isFsError(e, 'ENOENT'));
    await expect(fs.open(`${dir}/a`)).rejects.toSatisfy((e) => isFsError(e, 'EISDIR'));
    await expect(fs.unlink(`${dir}/nope`)).rejects.toSatisfy((e) => isFsError(e, 'ENOENT'));
  });
});

describe('createFileStorage', () => {
  it('keeps a node\'s state across instances in a real directory, with a stable storage id', async () => {
    const dir = join(await tempDir(), 'n1');
    const a = createFileStorage(dir, { clusterId: 'c', nodeId: 'n1' });
    await a.load();
    await a.save({ hardState: { term: 2, vote: 'n1', commit: 1 }, entries: [{ term: 2, index: 1, type: 0, data: enc('x') }] });
    await a.close();
    const b = createFileStorage(dir, { clusterId: 'c', nodeId: 'n1' });
    const st = await b.load();
    expect(st.hardState).toEqual({ term: 2, vote: 'n1', commit: 1 });
    expect(st.entries.map((e) => dec(e.data))).toEqual(['x']);
    expect(b.storageId).toMatch(/^[0-9a-f]{32}$/);
    expect(b.storageId).toBe(a.storageId);
    await b.close();
  });
});

runStorageSuite(async () => {
  const dir = join(await tempDir(), 'node');
  const options = { clusterId: 'c', nodeId: 'n1', segmentBytes: 2048 };
  let current = createFileStorage(dir, options);
  return {
    open: async () => current,
    reopen: async () => {
      await current.close();
      return (current = createFileStorage(dir, options));
    },
    dispose: () => current.close(),
  };
}, { describe, it }, 'FileStorage on NodeFileSystem conformance');
