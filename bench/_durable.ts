/**
 * The durable bench node's storage: FileStorage in `<dir>/<id>`, wrapped to
 * count the entries each node saves (FileStorage counts its own durable
 * saves, one write + one fsync each).
 */
import { join } from 'node:path';
import { createFileStorage } from '../src/node.js';
import type { FileStorage } from '../src/storage/file/file-storage.js';
import type { RaftStorage } from '../src/storage/storage.js';

/** One node's FileStorage and how many entries it was asked to save. */
interface Counted {
  readonly file: FileStorage;
  entries: number;
  /** Saves that carried entries. */
  entrySaves: number;
}

/** FileStorage for the nodes of a bench cluster in one directory, with counters. */
export class DurableStorages {
  private readonly nodes = new Map<string, Counted>();
  private constructor(readonly dir: string) {}

  /** Storages in an existing directory (the parent process made and deletes it). */
  static at(dir: string): DurableStorages {
    return new DurableStorages(dir);
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
}
