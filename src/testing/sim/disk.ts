/**
 * `SimDisk`: an in-memory {@link FileSystem} with the crash semantics of a
 * real disk (see `storage/fs.ts`), seeded so one seed replays one crash, and
 * injectable failures (EIO, ENOSPC, fsync latency spikes through the clock).
 * @module
 */
import type { Clock } from '../../clock.js';
import { FsError, type FileHandle, type FileSystem, type FsErrorCode, type OpenOptions } from '../../storage/fs.js';
import type { Prng } from '../../util/prng.js';
import { applyChange, applyNs, crashContent, lastIndexWhere, normalizePath, parentOf, settleFailedSync, takeCovered, touches, type Change, type CrashMode, type Inode, type Names, type NsOp } from './disk-state.js';

export type { CrashMode } from './disk-state.js';
export { SECTOR_SIZE, normalizePath } from './disk-state.js';

/** What survives a crash: file contents by path, and directories. Immutable by convention. */
export interface DiskImage {
  /** File contents by absolute path. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Directories (always includes `/`). */
  readonly dirs: ReadonlySet<string>;
}

/** Failure and latency settings of a {@link SimDisk}. */
export interface SimDiskFaults {
  /** Probability a write, append or truncate fails with EIO. @default 0 */
  writeEioRate: number;
  /** Probability a sync or syncDir fails with EIO. @default 0 */
  syncEioRate: number;
  /** Total bytes of file content allowed; growing beyond fails with ENOSPC. @default Infinity */
  capacityBytes: number;
  /** Virtual milliseconds a sync or syncDir takes. @default 1 */
  syncLatencyMs: number;
  /** Probability a sync takes `syncSpikeMs` longer. @default 0 */
  syncSpikeRate: number;
  /** Extra latency of a spiked sync. @default 100 */
  syncSpikeMs: number;
}

/** The operations {@link SimDisk.failNext} can target; `write` covers write, append and truncate. */
export type DiskFaultOp = 'write' | 'sync' | 'syncDir';

/** Options of a {@link SimDisk}. */
export interface SimDiskOptions {
  /** Completions of syncs are scheduled on this clock. */
  clock: Clock;
  /** Decides injected failures and, at a crash, the fate of unsynced changes. */
  rng: Prng;
  /** Start from this durable state (from {@link SimDisk.crash}); empty when omitted. */
  image?: DiskImage;
  /** Failures and latencies. */
  faults?: Partial<SimDiskFaults>;
}

/** The default {@link SimDiskFaults}: no failures, 1 ms syncs. */
export const DEFAULT_DISK_FAULTS: Readonly<SimDiskFaults> = Object.freeze({
  writeEioRate: 0, syncEioRate: 0, capacityBytes: Number.POSITIVE_INFINITY, syncLatencyMs: 1, syncSpikeRate: 0, syncSpikeMs: 100,
});

const NEVER = new Promise<never>(() => {});

/**
 * An in-memory disk implementing {@link FileSystem} with crash semantics.
 * After {@link SimDisk.crash} or {@link SimDisk.wipe}, every pending and later
 * call on this instance never settles: the process that made it is gone.
 *
 * @example
 * ```ts
 * const disk = new SimDisk({ clock: loop.clock(), rng: streams.disk('n1') });
 * // … run a node on it, then:
 * const image = disk.crash();
 * const restarted = new SimDisk({ clock, rng, image });
 * ```
 */
export class SimDisk implements FileSystem {
  private readonly clock: Clock;
  private readonly rng: Prng;
  private faults: SimDiskFaults;
  private readonly live: Names = { files: new Map(), dirs: new Set(['/']) };
  private readonly durable: Names = { files: new Map(), dirs: new Set(['/']) };
  private readonly journal: NsOp[] = [];
  private readonly scripted = new Map<DiskFaultOp, FsErrorCode[]>();
  private dead = false;
  /** Counters for coverage and reports. */
  readonly stats = {
    /** Content changes applied (write, append, truncate). */
    writes: 0,
    /** Syncs and directory syncs started, failing ones included. */
    syncs: 0,
    /** Syncs that took `syncSpikeMs` longer. */
    syncSpikes: 0,
    /** Operations failed by an injected or scripted error, or ENOSPC. */
    failures: 0,
  };

  constructor(options: SimDiskOptions) {
    this.clock = options.clock;
    this.rng = options.rng;
    this.faults = { ...DEFAULT_DISK_FAULTS, ...options.faults };
    for (const d of options.image?.dirs ?? []) {
      this.live.dirs.add(d);
      this.durable.dirs.add(d);
    }
    for (const [path, bytes] of options.image?.files ?? []) {
      const inode: Inode = { data: bytes.slice(), durable: bytes.slice(), pending: [] };
      this.live.files.set(path, inode);
      this.durable.files.set(path, inode);
    }
  }

  /** Change failure and latency settings. */
  setFaults(faults: Partial<SimDiskFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /** Make the next `op` fail with `code` (queued; each call scripts one failure). */
  failNext(op: DiskFaultOp, code: FsErrorCode = 'EIO'): void {
    const q = this.scripted.get(op) ?? [];
    q.push(code);
    this.scripted.set(op, q);
  }

  /** Whether this disk was crashed or wiped. */
  get crashed(): boolean {
    return this.dead;
  }

  open(path: string, options: OpenOptions = {}): Promise<FileHandle> {
    return this.run(() => {
      const p = normalizePath(path);
      if (this.live.dirs.has(p)) throw new FsError('EISDIR', 'open', p);
      let inode = this.live.files.get(p);
      if (inode !== undefined && options.create === true && options.exclusive === true) throw new FsError('EEXIST', 'open', p);
      if (inode === undefined) {
        if (options.create !== true) throw new FsError('ENOENT', 'open', p);
        if (!this.live.dirs.has(parentOf(p))) throw new FsError('ENOENT', 'open', p);
        inode = { data: new Uint8Array(0), durable: new Uint8Array(0), pending: [] };
        this.nameChange({ kind: 'link', path: p, inode });
      }
      const writable = options.write === true || options.create === true || options.truncate === true;
      if (options.truncate === true) this.change(inode, { kind: 'truncate', size: 0 }, p);
      return new SimFileHandle(this, inode, p, writable);
    });
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.run(() => this.inodeAt(normalizePath(path), 'open').data.slice());
  }

  rename(from: string, to: string): Promise<void> {
    return this.run(() => {
      const f = normalizePath(from);
      const t = normalizePath(to);
      this.inodeAt(f, 'rename');
      if (!this.live.dirs.has(parentOf(t))) throw new FsError('ENOENT', 'rename', t);
      if (this.live.dirs.has(t)) throw new FsError('EISDIR', 'rename', t);
      this.nameChange({ kind: 'rename', from: f, to: t });
    });
  }

  unlink(path: string): Promise<void> {
    return this.run(() => {
      const p = normalizePath(path);
      this.inodeAt(p, 'unlink');
      this.nameChange({ kind: 'unlink', path: p });
    });
  }

  readdir(path: string): Promise<string[]> {
    return this.run(() => {
      const d = normalizePath(path);
      if (!this.live.dirs.has(d)) throw new FsError(this.live.files.has(d) ? 'ENOTDIR' : 'ENOENT', 'scandir', d);
      const names = [...this.live.files.keys(), ...this.live.dirs].filter((p) => p !== '/' && parentOf(p) === d);
      return names.map((p) => p.slice(p.lastIndexOf('/') + 1)).sort();
    });
  }

  mkdir(path: string): Promise<void> {
    return this.run(() => this.makeDir(normalizePath(path)));
  }

  private makeDir(p: string): void {
    if (p === '/' || this.live.dirs.has(p)) return;
    if (this.live.files.has(p)) throw new FsError('EEXIST', 'mkdir', p);
    this.makeDir(parentOf(p));
    this.nameChange({ kind: 'mkdir', path: p });
  }

  syncDir(path: string): Promise<void> {
    return this.run(() => {
      const d = normalizePath(path);
      if (!this.live.dirs.has(d)) throw new FsError('ENOENT', 'fsync', d);
      // A journal commits in order: making this directory's last change durable commits all before it.
      const covered = this.journal.slice(0, lastIndexWhere(this.journal, (op) => touches(op, d)) + 1);
      return this.completeSync('syncDir', d, (ok) => {
        const done = takeCovered(this.journal, covered);
        // On failure some prefix of them made it, and the rest never will.
        for (const op of done.slice(0, ok ? done.length : this.rng.int(done.length + 1))) applyNs(this.durable, op);
      });
    });
  }

  /** The state that survives a crash right now if every unsynced change is lost; does not crash. */
  durableImage(): DiskImage {
    return this.image('drop', false);
  }

  /**
   * Crash: apply the crash rules to every unsynced change (each write kept,
   * dropped or torn at a 512-byte boundary; a prefix of unsynced name changes
   * kept) and return what survives. This instance is dead afterwards.
   */
  crash(mode: CrashMode = 'random'): DiskImage {
    const img = this.image(mode, true);
    this.dead = true;
    return img;
  }

  /** Lose everything (same node, empty disk); this instance is dead afterwards. */
  wipe(): DiskImage {
    this.dead = true;
    return emptyDiskImage();
  }

  private image(mode: CrashMode, random: boolean): DiskImage {
    const ns: Names = { files: new Map(this.durable.files), dirs: new Set(this.durable.dirs) };
    const keep = mode === 'keep' ? this.journal.length : mode === 'drop' || !random ? 0 : this.rng.int(this.journal.length + 1);
    for (const op of this.journal.slice(0, keep)) applyNs(ns, op);
    const contents = new Map<Inode, Uint8Array>();
    const files = new Map<string, Uint8Array>();
    for (const [path, inode] of [...ns.files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      let c = contents.get(inode);
      if (c === undefined) contents.set(inode, (c = random ? crashContent(inode, mode, this.rng) : inode.durable.slice()));
      files.set(path, c);
    }
    return { files, dirs: ns.dirs };
  }

  private nameChange(op: NsOp): void {
    applyNs(this.live, op);
    this.journal.push(op);
  }

  private inodeAt(p: string, syscall: string): Inode {
    if (this.live.dirs.has(p)) throw new FsError('EISDIR', syscall, p);
    const inode = this.live.files.get(p);
    if (inode === undefined) throw new FsError('ENOENT', syscall, p);
    return inode;
  }

  /** @internal Apply a content change to a file, or fail it (EIO, ENOSPC) without effect. */
  change(inode: Inode, c: Change, path: string): void {
    const injected = this.injected('write', this.faults.writeEioRate);
    const grows = c.kind === 'write' ? Math.max(0, c.offset + c.bytes.length - inode.data.length) : Math.max(0, c.size - inode.data.length);
    const code = injected ?? (grows > 0 && this.usedBytes() + grows > this.faults.capacityBytes ? 'ENOSPC' : undefined);
    if (code !== undefined) {
      this.stats.failures++;
      throw new FsError(code, 'write', path);
    }
    this.stats.writes++;
    inode.data = applyChange(inode.data, c);
    inode.pending.push(c);
  }

  /** @internal Sync a file's content changes made so far, completing through the clock. */
  syncFile(inode: Inode, path: string): Promise<void> {
    const covered = inode.pending.slice();
    return this.completeSync('sync', path, (ok) => {
      const done = takeCovered(inode.pending, covered);
      // On failure the covered changes meet a random fate now, and a later sync never rewrites them.
      inode.durable = ok ? done.reduce(applyChange, inode.durable) : settleFailedSync(inode.durable, done, this.rng);
    });
  }

  private completeSync(op: DiskFaultOp, path: string, settle: (ok: boolean) => void): Promise<void> {
    this.stats.syncs++;
    const code = this.injected(op, this.faults.syncEioRate);
    let delay = this.faults.syncLatencyMs;
    if (this.faults.syncSpikeRate > 0 && this.rng.next() < this.faults.syncSpikeRate) {
      this.stats.syncSpikes++;
      delay += this.faults.syncSpikeMs;
    }
    return new Promise<void>((resolve, reject) => {
      this.clock.setTimeout(() => {
        if (this.dead) return; // crashed while syncing: nothing became durable, nobody hears back
        settle(code === undefined);
        if (code === undefined) return resolve();
        this.stats.failures++;
        reject(new FsError(code, 'fsync', path));
      }, delay);
    });
  }

  private injected(op: DiskFaultOp, rate: number): FsErrorCode | undefined {
    const q = this.scripted.get(op);
    if (q !== undefined && q.length > 0) return q.shift();
    return rate > 0 && this.rng.next() < rate ? 'EIO' : undefined;
  }

  private usedBytes(): number {
    let n = 0;
    for (const inode of new Set(this.live.files.values())) n += inode.data.length;
    return n;
  }

  /** @internal Run `fn` as an operation of this disk: never settles once crashed. */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.dead) return NEVER;
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

/** An image with nothing on it (a fresh or wiped disk). */
export function emptyDiskImage(): DiskImage {
  return { files: new Map(), dirs: new Set(['/']) };
}

class SimFileHandle implements FileHandle {
  private closed = false;
  constructor(private readonly disk: SimDisk, private readonly inode: Inode, private readonly path: string, private readonly writable: boolean) {}

  read(position: number, length: number): Promise<Uint8Array> {
    return this.op(false, () => this.inode.data.slice(position, position + length));
  }

  write(data: Uint8Array, position: number): Promise<void> {
    return this.op(true, () => this.disk.change(this.inode, { kind: 'write', offset: position, bytes: data.slice() }, this.path));
  }

  append(data: Uint8Array): Promise<void> {
    return this.op(true, () => this.disk.change(this.inode, { kind: 'write', offset: this.inode.data.length, bytes: data.slice() }, this.path));
  }

  truncate(size: number): Promise<void> {
    return this.op(true, () => this.disk.change(this.inode, { kind: 'truncate', size }, this.path));
  }

  sync(): Promise<void> {
    return this.op(false, () => this.disk.syncFile(this.inode, this.path));
  }

  size(): Promise<number> {
    return this.op(false, () => this.inode.data.length);
  }

  close(): Promise<void> {
    return this.op(false, () => {
      this.closed = true;
    });
  }

  private op<T>(writes: boolean, fn: () => T | Promise<T>): Promise<T> {
    return this.disk.run(() => {
      if (this.closed || (writes && !this.writable)) throw new FsError('EBADF', writes ? 'write' : 'read', this.path);
      return fn();
    });
  }
}
