import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../../src/errors.js';
import { FileStorage } from '../../../src/storage/file/file-storage.js';
import { PREAMBLE_BYTES, readRecord, scanRecords } from '../../../src/storage/file/record.js';
import { makeEntries } from '../../../src/testing/conformance/storage.js';
import type { DiskImage } from '../../../src/testing/sim/disk.js';
import { DIR, SimNode } from './sim-helpers.js';

const hs = (term: number, vote: string | null, commit: number) => ({ term, vote, commit });
const segments = (img: DiskImage): string[] => [...img.files.keys()].filter((p) => p.endsWith('.wal')).sort();
const withFile = (img: DiskImage, path: string, bytes: Uint8Array): DiskImage => ({ files: new Map(img.files).set(path, bytes), dirs: img.dirs });
const code = (e: unknown): string => (isQuorumkitError(e) ? e.code : String(e));

/** A node with `saves` saves of 4 entries each, crashed losing nothing unsynced. */
async function written(saves: number, segmentBytes = 1024): Promise<{ node: SimNode; image: DiskImage }> {
  const node = new SimNode(7, { segmentBytes });
  const s = node.driven;
  await s.load();
  for (let i = 0; i < saves; i++) await s.save({ hardState: hs(1, 'n1', i * 4), entries: makeEntries(i * 4 + 1, i * 4 + 4, 1) });
  return { node, image: node.disk.crash('drop') };
}

/** Bytes of `seg` with one byte flipped inside the `n`th batch record (0-based). */
function flipInRecord(seg: Uint8Array, n: number): Uint8Array {
  const header = readRecord(seg, PREAMBLE_BYTES, 1 << 30)!;
  const r = scanRecords(seg, header.end, 1 << 30).records[n]!;
  const out = seg.slice();
  out[r.offset + 12]! ^= 0x40;
  return out;
}

describe('FileStorage on SimDisk', () => {
  it('commits a save of 256 entries with one write and one fsync', async () => {
    const node = new SimNode(1);
    const s = node.driven;
    await s.load();
    await s.save({ hardState: hs(1, 'n1', 0), entries: makeEntries(1, 1, 1) });
    const before = { ...node.disk.stats };
    await s.save({ hardState: hs(1, 'n1', 1), entries: makeEntries(2, 257, 1) });
    expect(node.disk.stats.syncs - before.syncs).toBe(1);
    expect(node.disk.stats.writes - before.writes).toBe(1);
    expect((await s.load()).entries.length).toBe(257);
  });

  it('rotates segments at the size limit and replays them all', async () => {
    const { node, image } = await written(40, 1024);
    expect(segments(image).length).toBeGreaterThanOrEqual(3);
    const st = await node.run(node.restart(image).load());
    expect(st.entries.map((e) => e.index)).toEqual(makeEntries(1, 160, 1).map((e) => e.index));
    expect(st.hardState).toEqual(hs(1, 'n1', 156));
  });

  it('deletes the segments a snapshot compacts, and all of them after discardLog', async () => {
    const { node, image } = await written(40, 1024);
    const s = node.restart(image);
    await node.run(s.load());
    const config = { voters: ['n1'], outgoing: [], learners: [], removed: [], epoch: 0, addresses: {} };
    await node.run(s.saveSnapshot({ meta: { index: 100, term: 1, config }, data: new Uint8Array(3) }, { compactTo: 100, discardLog: false }));
    expect(s.stats.segmentsDeleted).toBeGreaterThan(0);
    const left = segments(node.disk.durableImage()).length;
    expect(left).toBeLessThan(segments(image).length);
    const st = await node.run(node.restart(node.disk.crash('drop')).load());
    expect(st.entries[0]!.index).toBe(101);
    expect(st.entries.at(-1)!.index).toBe(160);
    const s2 = node.storage;
    await node.run(s2.saveSnapshot({ meta: { index: 500, term: 2, config }, data: new Uint8Array(3) }, { compactTo: 500, discardLog: true }));
    expect(segments(node.disk.durableImage())).toEqual([]);
    await node.run(s2.save({ hardState: null, entries: makeEntries(501, 502, 2) }));
    const st2 = await node.run(node.restart(node.disk.crash('drop')).load());
    expect(st2.entries.map((e) => e.index)).toEqual([501, 502]);
    expect(st2.hardState).toEqual(hs(1, 'n1', 156));
  });

  it('keeps the newest hard state when compaction deletes the segment it was saved in', async () => {
    const node = new SimNode(5, { segmentBytes: 1024 });
    const s = node.driven;
    await s.load();
    await s.save({ hardState: hs(1, 'n1', 0), entries: makeEntries(1, 4, 1) });
    await s.save({ hardState: hs(1, 'n1', 4), entries: makeEntries(5, 8, 1) });
    for (let i = 2; i < 40; i++) await s.save({ hardState: null, entries: makeEntries(i * 4 + 1, i * 4 + 4, 1) });
    const config = { voters: ['n1'], outgoing: [], learners: [], removed: [], epoch: 0, addresses: {} };
    await s.saveSnapshot({ meta: { index: 150, term: 1, config }, data: new Uint8Array(1) }, { compactTo: 150, discardLog: false });
    expect(node.storage.stats.segmentsDeleted).toBeGreaterThanOrEqual(2);
    const st = await node.run(node.restart(node.disk.crash('drop')).load());
    expect(st.hardState).toEqual(hs(1, 'n1', 4));
    expect(st.entries.map((e) => e.index)).toEqual(makeEntries(151, 160, 1).map((e) => e.index));
  });

  it('cuts a torn tail off the last segment and keeps what was durable', async () => {
    const { node, image } = await written(5, 1 << 20);
    const seg = segments(image)[0]!;
    const full = image.files.get(seg)!;
    const lastRecord = scanRecords(full, readRecord(full, PREAMBLE_BYTES, 1 << 30)!.end, 1 << 30).records.at(-1)!;
    const partial = full.subarray(lastRecord.offset, lastRecord.end - 5); // a record cut short, as a crash leaves it
    const torn = new Uint8Array(full.length + partial.length);
    torn.set(full);
    torn.set(partial, full.length);
    const s = node.restart(withFile(image, seg, torn));
    const st = await node.run(s.load());
    expect(st.entries.length).toBe(20);
    expect(s.stats.tornTailsTruncated).toBe(1);
    expect(node.disk.durableImage().files.get(seg)!.length).toBe(full.length);
    await node.run(s.save({ hardState: null, entries: makeEntries(21, 21, 1) }));
    expect((await node.run(node.restart(node.disk.crash('drop')).load())).entries.length).toBe(21);
  });

  it('treats damage to the last record of the log as a torn tail', async () => {
    const { node, image } = await written(5, 1 << 20);
    const seg = segments(image)[0]!;
    const st = await node.run(node.restart(withFile(image, seg, flipInRecord(image.files.get(seg)!, 4))).load());
    expect(st.entries.length).toBe(16);
  });

  it('refuses to load, and changes nothing, when a record followed by valid ones is damaged', async () => {
    const { node, image } = await written(5, 1 << 20);
    const seg = segments(image)[0]!;
    const bad = flipInRecord(image.files.get(seg)!, 2);
    const s = node.restart(withFile(image, seg, bad));
    await expect(node.run(s.load())).rejects.toSatisfy((e) => code(e) === 'STORAGE_CORRUPTION');
    expect(node.disk.durableImage().files.get(seg)).toEqual(bad);
  });

  it('refuses to load when a segment that is not the last is damaged, even at its end', async () => {
    const { node, image } = await written(40, 1024);
    const first = segments(image)[0]!;
    const seg = image.files.get(first)!;
    const n = scanRecords(seg, readRecord(seg, PREAMBLE_BYTES, 1 << 30)!.end, 1 << 30).records.length;
    const s = node.restart(withFile(image, first, flipInRecord(seg, n - 1)));
    await expect(node.run(s.load())).rejects.toSatisfy((e) => code(e) === 'STORAGE_CORRUPTION');
  });

  it('refuses another cluster\'s or another node\'s directory with InvalidConfigError', async () => {
    const { node, image } = await written(2);
    for (const other of [{ clusterId: 'c2' }, { nodeId: 'n2' }]) {
      const s = node.restart(image, other);
      await expect(node.run(s.load())).rejects.toSatisfy((e) => code(e) === 'INVALID_CONFIG' && /refusing to start/.test(String(e)));
    }
  });

  it('refuses an unknown format version', async () => {
    const { node, image } = await written(2);
    for (const path of [`${DIR}/META`, segments(image)[0]!]) {
      const bytes = image.files.get(path)!.slice();
      bytes[4] = 9;
      const s = node.restart(withFile(image, path, bytes));
      await expect(node.run(s.load())).rejects.toSatisfy((e) => code(e) === 'STORAGE_CORRUPTION' && /format version 9/.test(String(e)));
    }
  });

  it('refuses log segments without the META file', async () => {
    const { node, image } = await written(2);
    const files = new Map(image.files);
    files.delete(`${DIR}/META`);
    await expect(node.run(node.restart({ files, dirs: image.dirs }).load())).rejects.toSatisfy((e) => code(e) === 'STORAGE_CORRUPTION');
  });

  it('gives a fresh directory a new storage id, so a wiped node does not come back as its old self', async () => {
    const { node, image } = await written(1);
    const again = node.restart(image);
    await node.run(again.load());
    expect(again.storageId).toBe('sid-0');
    const wiped = node.restart(node.disk.wipe());
    expect(wiped.storageId).toBeNull();
    expect((await node.run(wiped.load())).entries).toEqual([]);
    expect(wiped.storageId).not.toBe('sid-0');
  });

  it('stops for good when an fsync fails, and never retries it', async () => {
    for (const op of ['sync', 'write'] as const) {
      const node = new SimNode(3);
      const s = node.storage;
      await node.run(s.load());
      await node.run(s.save({ hardState: hs(1, 'n1', 0), entries: makeEntries(1, 2, 1) }));
      node.disk.failNext(op, op === 'write' ? 'ENOSPC' : 'EIO');
      const syncs = node.disk.stats.syncs;
      await expect(node.run(s.save({ hardState: null, entries: makeEntries(3, 3, 1) }))).rejects.toSatisfy((e) => code(e) === 'STORAGE_FAILURE');
      expect(s.failed).toBe(true);
      const after = node.disk.stats.syncs;
      expect(after - syncs).toBe(op === 'sync' ? 1 : 0);
      await expect(node.run(s.save({ hardState: null, entries: makeEntries(3, 3, 1) }))).rejects.toSatisfy((e) => code(e) === 'STORAGE_FAILURE');
      await expect(node.run(s.load())).rejects.toSatisfy((e) => code(e) === 'STORAGE_FAILURE');
      await expect(node.run(s.saveSnapshot({ meta: { index: 1, term: 1, config: { voters: [], outgoing: [], learners: [], removed: [], epoch: 0, addresses: {} } }, data: new Uint8Array() }, { compactTo: 1, discardLog: false }))).rejects.toSatisfy((e) => code(e) === 'STORAGE_FAILURE');
      expect(node.disk.stats.syncs).toBe(after);
      await node.run(s.close());
    }
  });

  it('refuses a save larger than maxRecordBytes without writing it or stopping', async () => {
    const node = new SimNode(4, { maxRecordBytes: 1024 });
    const s = node.driven;
    await s.load();
    const big = [{ term: 1, index: 1, type: 0 as const, data: new Uint8Array(2000) }];
    await expect(s.save({ hardState: null, entries: big })).rejects.toThrow(/maxRecordBytes/);
    expect(node.storage.failed).toBe(false);
    await s.save({ hardState: null, entries: makeEntries(1, 2, 1) });
    expect((await node.run(node.restart(node.disk.crash('drop')).load())).entries.length).toBe(2);
  });

  it('validates its options', () => {
    for (const bad of [{ clusterId: '' }, { nodeId: 3 }, { segmentBytes: 10 }, { maxRecordBytes: 2 ** 33 }]) {
      expect(() => new FileStorage(new SimNode(1).disk, DIR, { clusterId: 'c', nodeId: 'n', ...bad } as never)).toThrow(/expected/);
    }
  });
});
