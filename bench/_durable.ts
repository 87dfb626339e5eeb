/**
 * Helpers of the node suite's durable rows: FileStorage per node in a temp
 * directory, wrapped to count the entries each node saves (FileStorage
 * counts its own durable saves, one write + one fsync each), and this
 * disk's raw fsync rate measured in the same directory as the run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStorage } from '../src/node.js';
import type { FileStorage } from '../src/storage/file/file-storage.js';
import type { RaftStorage } from '../src/storage/storage.js';
import { rawFsyncRate } from './storage.js';

/** One node's FileStorage and how many entries it was asked to save. */
interface Counted {
  readonly file: FileStorage;
  entries: number;
  /** Saves that carried entries. */
  entrySaves: number;
}

/** FileStorage for every node of a bench cluster, with counters; `cleanup()` deletes it all. */
export class DurableStorages {
  private readonly nodes = new Map<string, Counted>();
  private constructor(readonly dir: string) {}

  /** A fresh temp directory for one cluster. */
  static async create(): Promise<DurableStorages> {
    return new DurableStorages(await mkdtemp(join(tmpdir(), 'quorumkit-bench-node-')));
  }

  /** The storage of node `id`: FileStorage in `<dir>/<id>`, counting entries per save. */
  storageFor(id: string): RaftStorage {
    const c: Counted = { file: createFileStorage(join(this.dir, id), { clusterId: 'bench', nodeId: id }), entries: 0, entrySaves: 0 };
    this.nodes.set(id, c);
    return {
      load: () => c.file.load(),
      save: (u) => {
        c.entries += u.entries.length;
        if (u.entries.length > 0) c.entrySaves++;
        return c.file.save(u);
      },
      saveSnapshot: (s, o) => c.file.saveSnapshot(s, o),
      close: () => c.file.close(),
    };
  }

  /** Node `id`'s durable saves (fsyncs), saves with entries, and entries saved so far. */
  counts(id: string): { saves: number; entrySaves: number; entries: number } {
    const c = this.nodes.get(id);
    return { saves: c?.file.stats.saves ?? 0, entrySaves: c?.entrySaves ?? 0, entries: c?.entries ?? 0 };
  }

  /** Durable saves of every node so far. */
  totalSaves(): number {
    return [...this.nodes.values()].reduce((a, c) => a + c.file.stats.saves, 0);
  }

  /** This disk's raw fsync rate (64 B write + fsync, one after another) over `seconds`, in the cluster's directory. */
  fsyncRate(seconds: number): Promise<number> {
    return rawFsyncRate(this.dir, seconds);
  }

  /** Delete the directory. */
  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
