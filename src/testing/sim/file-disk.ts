/**
 * A node disk that is the real `FileStorage` on a `SimDisk`: writes go through
 * the WAL, group commit and fsync of the shipped adapter; a crash applies the
 * disk's rules (each unsynced write kept, dropped or torn at a sector) and the
 * restart recovers through `FileStorage.load`. Storage promises complete on
 * loop events (the disk's sync latency) and are settled by the simulator
 * before its next event, so the run stays deterministic.
 *
 * What was synced is mirrored in a {@link MemoryDisk}-like model: the
 * durable-on-a-majority check reads it, and every recovery is checked against
 * it — a restart must find every synced entry (except those an interrupted
 * truncating save may have replaced), or refuse to start.
 * @module
 */
import type { Entry, HardState, NodeId } from '../../raft/core/types.js';
import { FileStorage } from '../../storage/file/file-storage.js';
import type { PersistentState, StoredSnapshot } from '../../storage/storage.js';
import { SimDisk, type DiskImage } from './disk.js';
import type { RaftSim } from './raft-sim.js';
import type { LogPosition, NodeDisk } from './sim-node.js';
import type { Prng } from '../../util/prng.js';

/** `FileStorage` on a `SimDisk`, with crash rules; see the module documentation. */
export class FileDisk implements NodeDisk {
  private disk: SimDisk;
  private storage: FileStorage;
  private gen = 0;
  private synced: Entry[] = [];
  private snapIndex = 0;
  /** First index of a save in flight (entries from there may be old or new after a crash). */
  private inflightFrom = Number.POSITIVE_INFINITY;
  private unsafeFrom = Number.POSITIVE_INFINITY;
  private snapshotting = false;
  private torn = 0;
  private incarnations = 0;
  /** Storage promises in flight, counted in the simulator's `io` until they settle or the process dies. */
  private pending = 0;

  constructor(private readonly sim: RaftSim, private readonly id: NodeId) {
    this.disk = this.newDisk(undefined);
    this.storage = this.newStorage();
  }

  get tornTails(): number {
    return this.torn + this.storage.stats.tornTailsTruncated;
  }

  private newDisk(image: DiskImage | undefined): SimDisk {
    return new SimDisk({ clock: this.sim.loop.clock(), rng: this.sim.streams.disk(this.id), ...(image !== undefined ? { image } : {}) });
  }

  private newStorage(): FileStorage {
    const n = this.incarnations++;
    return new FileStorage(this.disk, '/raft', { clusterId: 'sim', nodeId: this.id, segmentBytes: 16 * 1024, newStorageId: () => `${this.id}-${n}` });
  }

  private applyFaults(): void {
    const f = this.sim.diskFaults;
    this.disk.setFaults({ writeEioRate: f.failRate / 2, syncEioRate: f.failRate / 2, capacityBytes: f.capacityBytes, syncSpikeRate: f.spikeRate, syncSpikeMs: f.spikeMs });
  }

  /** Run `p`; hand its outcome to `done`/`fail` at a loop event, unless the process died meanwhile. */
  private finish(p: Promise<void>, done: () => void, fail: (e: unknown) => void, after: () => void): void {
    const gen = this.track();
    p.then(
      () => { if (this.settled(gen)) { after(); this.sim.loop.schedule(0, done); } },
      (e: unknown) => { if (this.settled(gen)) this.sim.loop.schedule(0, () => fail(e)); },
    );
  }

  private track(): number {
    this.pending++;
    this.sim.io++;
    return this.gen;
  }

  /** A promise of generation `gen` settled: whether the process that made it is still alive. */
  private settled(gen: number): boolean {
    if (gen !== this.gen) return false;
    this.pending--;
    this.sim.io--;
    return true;
  }

  save(hardState: HardState | null, entries: readonly Entry[], done: () => void, fail: (e: unknown) => void): void {
    this.applyFaults();
    const first = entries[0]?.index;
    if (first !== undefined) this.inflightFrom = first;
    this.finish(this.storage.save({ hardState, entries }), done, fail, () => {
      this.inflightFrom = Number.POSITIVE_INFINITY;
      if (first !== undefined) this.synced = this.synced.filter((e) => e.index < first).concat(entries.map((e) => ({ ...e, data: new Uint8Array(0) })));
    });
  }

  saveSnapshot(snap: StoredSnapshot, compactTo: number, discardLog: boolean, done: () => void, fail: (e: unknown) => void): void {
    if (this.snapshotting) return;
    this.snapshotting = true;
    this.applyFaults();
    this.finish(this.storage.saveSnapshot(snap, { compactTo, discardLog }), done, fail, () => {
      this.snapshotting = false;
      this.snapIndex = Math.max(this.snapIndex, snap.meta.index);
      this.synced = discardLog ? [] : this.synced.filter((e) => e.index > compactTo);
    });
  }

  crash(): void {
    this.gen++;
    // Calls on the dead disk never settle: stop waiting for them.
    this.sim.io -= this.pending;
    this.pending = 0;
    this.snapshotting = false;
    this.unsafeFrom = this.inflightFrom;
    this.inflightFrom = Number.POSITIVE_INFINITY;
    this.torn += this.storage.stats.tornTailsTruncated;
    this.disk = this.newDisk(this.disk.crash('random'));
    this.storage = this.newStorage();
  }

  /**
   * Bit rot while the process is down: flip one byte in the first half of the
   * newest WAL segment, inside data that was synced (valid records follow it),
   * so recovery must refuse to start rather than truncate there. Returns
   * whether a segment was found. Call between a crash and the restart.
   */
  rot(rng: Prng): boolean {
    const img = this.disk.durableImage();
    const wal = [...img.files.keys()].filter((p) => p.endsWith('.wal')).sort().pop();
    const bytes = wal === undefined ? undefined : img.files.get(wal);
    if (wal === undefined || bytes === undefined || bytes.length < 1024) return false;
    const copy = bytes.slice();
    const at = 256 + rng.int(Math.floor(copy.length / 2) - 256);
    copy[at] = copy[at]! ^ (1 + rng.int(255));
    const files = new Map(img.files);
    files.set(wal, copy);
    this.disk = this.newDisk({ files, dirs: img.dirs });
    this.storage = this.newStorage();
    return true;
  }

  wipe(): void {
    this.crash();
    this.disk = this.newDisk(undefined);
    this.storage = this.newStorage();
    this.synced = [];
    this.snapIndex = 0;
    this.unsafeFrom = Number.POSITIVE_INFINITY;
  }

  load(): Promise<PersistentState> {
    const gen = this.track();
    return this.storage.load().then((st) => {
      if (!this.settled(gen)) return new Promise<never>(() => {});
      this.checkRecovered(st);
      this.synced = st.entries.map((e) => ({ ...e, data: new Uint8Array(0) }));
      this.snapIndex = st.snapshot?.meta.index ?? 0;
      this.unsafeFrom = Number.POSITIVE_INFINITY;
      return st;
    }, (e: unknown) => {
      this.settled(gen);
      throw e;
    });
  }

  /** Every synced entry must come back (but those an interrupted truncating save may have replaced). */
  private checkRecovered(st: PersistentState): void {
    const snap = st.snapshot?.meta.index ?? 0;
    const first = st.entries[0]?.index ?? snap + 1;
    for (const e of this.synced) {
      if (e.index <= snap || e.index >= this.unsafeFrom) continue;
      if (st.entries[e.index - first]?.term !== e.term) {
        this.sim.checker.violations.push({ invariant: 'recovered-synced', detail: `${this.id} restarted without its synced entry ${e.index}@${e.term} (recovered up to ${first + st.entries.length - 1})`, time: this.sim.loop.now });
        return;
      }
    }
    if (snap < this.snapIndex) this.sim.checker.violations.push({ invariant: 'recovered-synced', detail: `${this.id} lost its synced snapshot at ${this.snapIndex}`, time: this.sim.loop.now });
  }

  holds(index: number, term: number): boolean {
    if (this.snapIndex >= index) return true;
    const first = this.synced[0]?.index;
    return first !== undefined && this.synced[index - first]?.term === term;
  }

  lastIndex(): number {
    return this.synced[this.synced.length - 1]?.index ?? this.snapIndex;
  }

  lastEntry(): LogPosition | null {
    return this.synced[this.synced.length - 1] ?? null;
  }
}
