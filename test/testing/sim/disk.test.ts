import { describe, expect, it } from 'vitest';
import { isFsError } from '../../../src/storage/fs.js';
import { SECTOR_SIZE, SimDisk, type CrashMode, type DiskImage, type SimDiskFaults } from '../../../src/testing/sim/disk.js';
import { EventLoop } from '../../../src/testing/sim/event-loop.js';
import { createPrng } from '../../../src/util/prng.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

function setup(seed = 1, faults: Partial<SimDiskFaults> = {}) {
  const loop = new EventLoop();
  const disk = new SimDisk({ clock: loop.clock(), rng: createPrng(seed), faults });
  /** Await a disk promise while running virtual time. */
  const settle = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    p.then(() => (done = true), () => (done = true));
    await loop.runUntilTrueAsync(() => done, 60_000);
    return p;
  };
  return { loop, disk, settle };
}

/** Write `content` to /f (synced or not), crash with `mode`, and return what /f holds after. */
async function crashAfterWrite(seed: number, mode: CrashMode, writes: Uint8Array[], syncFirst = 0): Promise<Uint8Array | undefined> {
  const { disk, settle } = setup(seed);
  const h = await disk.open('/f', { create: true });
  await settle(disk.syncDir('/'));
  for (const [i, w] of writes.entries()) {
    await h.append(w);
    if (i < syncFirst) await settle(h.sync());
  }
  return disk.crash(mode).files.get('/f');
}

describe('SimDisk crash rules', () => {
  it('keeps everything that was synced, in every crash mode', async () => {
    for (const mode of ['random', 'keep', 'drop', 'tear'] as const) {
      for (let seed = 0; seed < 20; seed++) {
        const f = await crashAfterWrite(seed, mode, [enc('durable'), bytes(1500, 7)], 1);
        expect(dec(f?.subarray(0, 7))).toBe('durable');
      }
    }
  });

  it('drops, keeps or tears an unsynced write at a 512-byte boundary, as the mode says', async () => {
    const w = bytes(2000, 9);
    expect((await crashAfterWrite(1, 'drop', [w]))?.length).toBe(0);
    expect(await crashAfterWrite(1, 'keep', [w])).toEqual(w);
    for (let seed = 0; seed < 30; seed++) {
      const torn = (await crashAfterWrite(seed, 'tear', [w]))!;
      expect(torn.length % SECTOR_SIZE).toBe(0);
      expect(torn.length).toBeGreaterThan(0);
      expect(torn.length).toBeLessThan(2000);
      expect(torn.every((b) => b === 9)).toBe(true);
    }
  });

  it('tears a write that starts mid-sector only at absolute sector boundaries; a write inside one sector is atomic', async () => {
    for (let seed = 0; seed < 30; seed++) {
      const f = (await crashAfterWrite(seed, 'tear', [bytes(100, 1), bytes(1000, 2)], 1))!;
      expect([512, 1024]).toContain(f.length);
      const small = (await crashAfterWrite(seed, 'tear', [bytes(100, 1), bytes(50, 2)], 1))!;
      expect([100, 150]).toContain(small.length);
    }
  });

  it('decides each unsynced write independently in random mode', async () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 60; seed++) {
      // Two single-sector writes at sector-aligned offsets: each is either there or not.
      const f = (await crashAfterWrite(seed, 'random', [bytes(512, 1), bytes(512, 2)]))!;
      seen.add(`${f.length >= 512 && f[0] === 1 ? 'A' : '-'}${f.length === 1024 && f[600] === 2 ? 'B' : '-'}:${f.length}`);
    }
    // Kept first and dropped second, both, neither, and dropped first with kept second (a zero gap).
    expect(seen).toEqual(new Set(['A-:512', 'AB:1024', '--:0', '-B:1024']));
  });

  it('does not cover writes made while a sync is in flight', async () => {
    const { disk, settle } = setup(3);
    const h = await disk.open('/f', { create: true });
    await settle(disk.syncDir('/'));
    await h.append(enc('one'));
    const s = h.sync();
    await h.append(enc('two'));
    await settle(s);
    expect(dec(disk.crash('drop').files.get('/f'))).toBe('one');
  });

  it('loses a sync cut short by a crash, and never settles calls on a crashed disk', async () => {
    const { loop, disk } = setup(3, { syncLatencyMs: 10 });
    const h = await disk.open('/f', { create: true });
    await h.append(enc('x'));
    let settled = false;
    h.sync().then(() => (settled = true), () => (settled = true));
    await loop.runForAsync(5);
    const img = disk.crash('drop');
    await loop.runForAsync(100);
    expect(settled).toBe(false);
    expect(img.files.has('/f')).toBe(false);
    let later = false;
    void disk.readdir('/').then(() => (later = true));
    await loop.runForAsync(1);
    expect(later).toBe(false);
  });
});

describe('SimDisk names and renames', () => {
  it('needs a directory sync for a new file to survive, even if its content was synced', async () => {
    const { disk, settle } = setup();
    await settle(disk.mkdir('/wal'));
    const h = await disk.open('/wal/1.seg', { create: true });
    await h.append(enc('rec'));
    await settle(h.sync());
    const before = disk.durableImage();
    expect(before.files.has('/wal/1.seg')).toBe(false);
    expect(before.dirs.has('/wal')).toBe(false);
    await settle(disk.syncDir('/wal'));
    const after = disk.crash('drop');
    expect(dec(after.files.get('/wal/1.seg'))).toBe('rec');
    // The journal commits in order, so the earlier mkdir of /wal is durable too.
    expect(after.dirs.has('/wal')).toBe(true);
  });

  it('makes a rename durable only with the directory sync, and atomic in any case', async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const { disk, settle } = setup(seed);
      await writeFileDurably(disk, settle, '/state', 'old');
      const tmp = await disk.open('/state.tmp', { create: true, truncate: true });
      await tmp.append(enc('new'));
      await settle(tmp.sync());
      await settle(disk.rename('/state.tmp', '/state'));
      const img = disk.crash(seed < 2 ? 'drop' : 'random');
      const state = dec(img.files.get('/state'));
      expect(['old', 'new']).toContain(state);
      if (seed < 2) expect(state).toBe('old');
      outcomes.add(state!);
    }
    expect(outcomes).toEqual(new Set(['old', 'new']));
    const { disk, settle } = setup();
    await writeFileDurably(disk, settle, '/state', 'old');
    await writeFileDurably(disk, settle, '/state.tmp', 'new');
    await settle(disk.rename('/state.tmp', '/state'));
    await settle(disk.syncDir('/'));
    const img = disk.crash('drop');
    expect(dec(img.files.get('/state'))).toBe('new');
    expect(img.files.has('/state.tmp')).toBe(false);
  });

  it('restarts from an image, lists directories sorted, and wipes to nothing', async () => {
    const { loop, disk, settle } = setup();
    await settle(disk.mkdir('/a/b'));
    await writeFileDurably(disk, settle, '/a/z', 'z');
    await writeFileDurably(disk, settle, '/a/c', 'c');
    const img: DiskImage = disk.crash('drop');
    const again = new SimDisk({ clock: loop.clock(), rng: createPrng(2), image: img });
    expect(await again.readdir('/a')).toEqual(['b', 'c', 'z']);
    expect(dec(await again.readFile('/a/z'))).toBe('z');
    const wiped = new SimDisk({ clock: loop.clock(), rng: createPrng(2), image: again.wipe() });
    expect(await wiped.readdir('/')).toEqual([]);
  });

  it('replays the same crash for the same seed', async () => {
    const run = async (seed: number) => [...(await crashAfterWrite(seed, 'random', [bytes(3000, 1), bytes(700, 2), bytes(1200, 3)]))!];
    expect(await run(77)).toEqual(await run(77));
  });
});

describe('SimDisk failures', () => {
  it('fails a write with EIO or ENOSPC without changing the file', async () => {
    const { disk } = setup(1, { capacityBytes: 10 });
    const h = await disk.open('/f', { create: true });
    await h.append(enc('12345'));
    disk.failNext('write', 'EIO');
    const eio = await h.append(enc('abc')).catch((e: unknown) => e);
    expect(isFsError(eio, 'EIO')).toBe(true);
    const nospc = await h.append(enc('abcdefgh')).catch((e: unknown) => e);
    expect(isFsError(nospc, 'ENOSPC')).toBe(true);
    expect((nospc as { syscall: string }).syscall).toBe('write');
    expect(dec(await disk.readFile('/f'))).toBe('12345');
    await h.write(enc('ab'), 0); // overwriting does not grow, so it fits
    expect(dec(await disk.readFile('/f'))).toBe('ab345');
  });

  it('after a failed sync, a later successful sync does not make the covered data durable (fsyncgate)', async () => {
    let lostOnce = false;
    for (let seed = 0; seed < 30; seed++) {
      const { disk, settle } = setup(seed);
      const h = await disk.open('/f', { create: true });
      await settle(disk.syncDir('/'));
      await h.append(bytes(1024, 5));
      disk.failNext('sync');
      const err = await settle(h.sync()).catch((e: unknown) => e);
      expect(isFsError(err, 'EIO')).toBe(true);
      await settle(h.sync()); // the retry a buggy WAL would do: it "succeeds"
      expect((await disk.readFile('/f')).length).toBe(1024); // the page cache still shows the data
      if ((disk.crash('keep').files.get('/f')?.length ?? 0) < 1024) lostOnce = true;
    }
    expect(lostOnce).toBe(true);
  });

  it('completes syncs through the virtual clock, with latency spikes', async () => {
    const { loop, disk, settle } = setup(1, { syncLatencyMs: 2, syncSpikeRate: 1, syncSpikeMs: 500 });
    const h = await disk.open('/f', { create: true });
    await settle(h.sync());
    expect(loop.now).toBe(502);
    expect(disk.stats.syncSpikes).toBe(1);
  });

  it('reports ENOENT, EEXIST, EISDIR and EBADF like Node', async () => {
    const { disk } = setup();
    const codeOf = (p: Promise<unknown>) => p.then(() => 'none', (e: { code: string }) => e.code);
    expect(await codeOf(disk.open('/missing'))).toBe('ENOENT');
    expect(await codeOf(disk.open('/no/dir', { create: true }))).toBe('ENOENT');
    expect(await codeOf(disk.readFile('/'))).toBe('EISDIR');
    await disk.open('/f', { create: true });
    expect(await codeOf(disk.open('/f', { create: true, exclusive: true }))).toBe('EEXIST');
    const ro = await disk.open('/f');
    expect(await codeOf(ro.append(enc('x')))).toBe('EBADF');
    await ro.close();
    expect(await codeOf(ro.size())).toBe('EBADF');
    expect(await codeOf(disk.unlink('/nope'))).toBe('ENOENT');
  });
});

async function writeFileDurably(disk: SimDisk, settle: <T>(p: Promise<T>) => Promise<T>, path: string, text: string): Promise<void> {
  const h = await disk.open(path, { create: true, truncate: true });
  await h.append(enc(text));
  await settle(h.sync());
  await settle(disk.syncDir(path.slice(0, path.lastIndexOf('/')) || '/'));
  await h.close();
}
