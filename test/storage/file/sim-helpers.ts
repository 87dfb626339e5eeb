/** Running FileStorage on SimDisk on virtual time, for the storage tests. */
import type { PersistentState, RaftStorage, SnapshotSaveOptions, StorageUpdate, StoredSnapshot } from '../../../src/storage/storage.js';
import { FileStorage } from '../../../src/storage/file/file-storage.js';
import type { FileStorageOptions } from '../../../src/storage/file/options.js';
import { SimDisk, type DiskImage, type SimDiskFaults } from '../../../src/testing/sim/disk.js';
import { EventLoop } from '../../../src/testing/sim/event-loop.js';
import { createPrng, type Prng } from '../../../src/util/prng.js';

export const DIR = '/data/raft';
export const IDENTITY = { clusterId: 'c1', nodeId: 'n1' } as const;

/** Await `p` while running virtual time (SimDisk syncs complete through the clock). */
export async function drive<T>(loop: EventLoop, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  if (!(await loop.runUntilTrueAsync(() => done, 3_600_000))) throw new Error('disk operation never settled');
  return p;
}

/** A RaftStorage whose every call drives the loop until it settles. */
export class Driven implements RaftStorage {
  constructor(readonly inner: FileStorage, private readonly loop: EventLoop) {}
  load(): Promise<PersistentState> {
    return drive(this.loop, this.inner.load());
  }
  save(u: StorageUpdate): Promise<void> {
    return drive(this.loop, this.inner.save(u));
  }
  saveSnapshot(s: StoredSnapshot, o: SnapshotSaveOptions): Promise<void> {
    return drive(this.loop, this.inner.saveSnapshot(s, o));
  }
  close(): Promise<void> {
    return drive(this.loop, this.inner.close());
  }
}

/** One simulated node's disk across crashes. */
export class SimNode {
  readonly loop = new EventLoop();
  readonly rng: Prng;
  disk: SimDisk;
  storage: FileStorage;
  private n = 0;

  constructor(seed: number, private readonly options: Partial<FileStorageOptions> = {}, private faults: Partial<SimDiskFaults> = {}) {
    this.rng = createPrng(seed);
    this.disk = new SimDisk({ clock: this.loop.clock(), rng: this.rng.fork('disk'), faults });
    this.storage = this.newStorage();
  }

  private newStorage(): FileStorage {
    const id = `sid-${this.n++}`;
    return new FileStorage(this.disk, DIR, { ...IDENTITY, newStorageId: () => id, ...this.options });
  }

  /** The storage as a self-driving RaftStorage. */
  get driven(): Driven {
    return new Driven(this.storage, this.loop);
  }

  /** Await `p` on virtual time. */
  run<T>(p: Promise<T>): Promise<T> {
    return drive(this.loop, p);
  }

  /** Restart from `image` (default: crash this disk now with random fates for unsynced changes). */
  restart(image: DiskImage = this.disk.crash(), options: Partial<FileStorageOptions> = {}): FileStorage {
    this.disk = new SimDisk({ clock: this.loop.clock(), rng: this.rng.fork(`disk${this.n}`), image, faults: this.faults });
    this.storage = new FileStorage(this.disk, DIR, { ...IDENTITY, newStorageId: () => `sid-${this.n++}`, ...this.options, ...options });
    return this.storage;
  }
}
