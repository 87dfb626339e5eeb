/**
 * The small filesystem contract `FileStorage` runs on, so one WAL
 * implementation runs on a real disk (a `node:fs` adapter in `quorumkit/node`)
 * and on the simulator's `SimDisk`, which crashes, tears writes and fails.
 *
 * Paths are absolute, `/`-separated strings (`/data/wal/0001.seg`).
 *
 * ## Semantics every implementation keeps (what survives a crash)
 * - A file's content changes (`write`, `append`, `truncate`, opening with
 *   `truncate`) are visible to reads at once, but durable only once a later
 *   `sync()` of that file has resolved. A change made while a `sync()` is in
 *   flight is not covered by it.
 * - Name changes (creating a file, `rename`, `unlink`, `mkdir`) are durable only
 *   once `syncDir()` of the parent directory (for `rename`, of both parents) has
 *   resolved. A synced file whose name was never made durable may vanish.
 * - At a crash, anything not yet durable may survive whole, be lost, or be
 *   torn: a write survives only up to some 512-byte sector boundary. Name
 *   changes are journaled: some prefix of them, in order, survives.
 * - `rename` replaces the target atomically: after a crash the target holds the
 *   old or the new file, never a mix or nothing (write to a temporary file,
 *   `sync()` it, `rename` it over, then `syncDir()` for a durable atomic replace).
 * - If `sync()` or `syncDir()` rejects (EIO), the state of the changes it covered
 *   is unknown forever: a later `sync()` may resolve without writing them (as
 *   Linux marks failed pages clean). Callers must fail-stop, never retry.
 * - A rejected `write`/`append`/`truncate` (EIO, ENOSPC) changed nothing.
 * - Errors carry a Node-style `code` (see {@link FsErrorCode}); test with {@link isFsError}.
 * @module
 */

/** The error codes the contract uses, with Node's meanings. */
export type FsErrorCode = 'ENOENT' | 'EEXIST' | 'EISDIR' | 'ENOTDIR' | 'EBADF' | 'EIO' | 'ENOSPC';

/** A filesystem error shaped like Node's (`code`, `syscall`, `path`). */
export class FsError extends Error {
  /** Node-style error code. */
  readonly code: FsErrorCode;
  /** The operation that failed (`open`, `write`, `fsync`, …). */
  readonly syscall: string;
  /** The path involved. */
  readonly path: string;
  constructor(code: FsErrorCode, syscall: string, path: string) {
    super(`${code}: ${syscall} '${path}'`);
    this.name = 'FsError';
    this.code = code;
    this.syscall = syscall;
    this.path = path;
  }
}

/**
 * True if `e` is a filesystem error (ours or Node's: anything with a string
 * `code`), optionally with the given code.
 *
 * @example
 * ```ts
 * try { return await fs.readFile('/data/hardstate'); }
 * catch (e) { if (isFsError(e, 'ENOENT')) return null; throw e; }
 * ```
 */
export function isFsError(e: unknown, code?: FsErrorCode): e is {
  /** Node-style error code (`ENOENT`, `EIO`, …); any string, as Node has codes beyond {@link FsErrorCode}. */
  code: string;
  /** The error's message. */
  message: string;
} {
  if (typeof e !== 'object' || e === null || typeof (e as { code?: unknown }).code !== 'string') return false;
  return code === undefined || (e as { code: string }).code === code;
}

/** How to open a file. Everything defaults to `false`: open an existing file read-only. */
export interface OpenOptions {
  /** Allow writes. */
  write?: boolean;
  /** Create the file if it does not exist (the parent directory must). Implies `write`. */
  create?: boolean;
  /** With `create`: fail with EEXIST if the file exists. */
  exclusive?: boolean;
  /** Empty the file on open. Implies `write`. */
  truncate?: boolean;
}

/** An open file. Calls on one handle must not overlap (await each before the next). */
export interface FileHandle {
  /** Read up to `length` bytes at `position`; shorter at the end of the file. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Write `data` at `position`, extending the file (with zeros for a gap) if needed. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Write `data` at the current end of the file. */
  append(data: Uint8Array): Promise<void>;
  /** Cut (or zero-extend) the file to `size` bytes. */
  truncate(size: number): Promise<void>;
  /** Make every content change made before this call durable (fsync). */
  sync(): Promise<void>;
  /** The file's current size in bytes. */
  size(): Promise<number>;
  /** Close the handle; later calls on it fail with EBADF. Does not sync. */
  close(): Promise<void>;
}

/** A filesystem (see the module documentation for the crash semantics). */
export interface FileSystem {
  /** Open a file; ENOENT if missing without `create`, EISDIR for a directory. */
  open(path: string, options?: OpenOptions): Promise<FileHandle>;
  /** The whole content of a file; ENOENT if missing. */
  readFile(path: string): Promise<Uint8Array>;
  /** Atomically rename a file, replacing any file at `to`; ENOENT if `from` or `to`'s parent is missing. */
  rename(from: string, to: string): Promise<void>;
  /** Remove a file's name; ENOENT if missing. Open handles keep working. */
  unlink(path: string): Promise<void>;
  /** Names (not paths) of the entries of a directory, sorted; ENOENT if missing. */
  readdir(path: string): Promise<string[]>;
  /** Create a directory and any missing parents; no error if it exists. */
  mkdir(path: string): Promise<void>;
  /** Make the name changes inside a directory durable (fsync of the directory). */
  syncDir(path: string): Promise<void>;
}
