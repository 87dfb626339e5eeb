/**
 * `NodeFileSystem`: the {@link FileSystem} contract on `node:fs/promises`,
 * so `FileStorage` runs on a real disk.
 * @module
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle as NodeHandle } from 'node:fs/promises';
import { FsError, type FileHandle, type FileSystem, type OpenOptions } from '../storage/fs.js';

/**
 * A {@link FileSystem} on the local disk. `sync()` is `fsync(2)`;
 * `syncDir()` opens the directory and fsyncs it, which is what makes a
 * created, renamed or deleted name durable on Linux. Errors are Node's own
 * (they carry `code`, `syscall` and `path`, as the contract asks).
 *
 * @example
 * ```ts
 * const storage = new FileStorage(new NodeFileSystem(), '/var/lib/app/raft', { clusterId: 'c', nodeId: 'n1' });
 * ```
 */
export class NodeFileSystem implements FileSystem {
  /** Open a file; EISDIR for a directory (Node would open it read-only). */
  async open(path: string, options: OpenOptions = {}): Promise<FileHandle> {
    const h = await open(path, openFlags(options));
    try {
      const st = await h.stat();
      if (st.isDirectory()) throw new FsError('EISDIR', 'open', path);
      return new NodeFileHandle(h, st.size);
    } catch (e) {
      await h.close();
      throw e;
    }
  }

  /** The whole content of a file. */
  async readFile(path: string): Promise<Uint8Array> {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  /** `rename(2)`: atomic replace of `to`. */
  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }

  /** Remove a name. */
  unlink(path: string): Promise<void> {
    return unlink(path);
  }

  /** Entry names, sorted (Node does not promise an order). */
  async readdir(path: string): Promise<string[]> {
    return (await readdir(path)).sort();
  }

  /** Create a directory and missing parents. */
  async mkdir(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }

  /** fsync a directory, making name changes in it durable. */
  async syncDir(path: string): Promise<void> {
    const h = await open(path, constants.O_RDONLY);
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }
}

function openFlags(o: OpenOptions): number {
  const writes = o.write === true || o.create === true || o.truncate === true;
  let flags = writes ? constants.O_RDWR : constants.O_RDONLY;
  if (o.create === true) flags |= constants.O_CREAT;
  if (o.create === true && o.exclusive === true) flags |= constants.O_EXCL;
  if (o.truncate === true) flags |= constants.O_TRUNC;
  return flags;
}

/**
 * A handle on `node:fs/promises`. The size is tracked here so `append` needs
 * no `fstat` per call: the contract says calls on one handle never overlap.
 */
class NodeFileHandle implements FileHandle {
  constructor(private readonly h: NodeHandle, private length: number) {}

  async read(position: number, length: number): Promise<Uint8Array> {
    // Not clamped to the tracked size: another handle may have grown the file.
    const buf = new Uint8Array(Math.max(0, length));
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await this.h.read(buf, done, buf.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) done += (await this.h.write(data, done, data.length - done, position + done)).bytesWritten;
    this.length = Math.max(this.length, position + data.length);
  }

  append(data: Uint8Array): Promise<void> {
    return this.write(data, this.length);
  }

  async truncate(size: number): Promise<void> {
    await this.h.truncate(size);
    this.length = size;
  }

  sync(): Promise<void> {
    return this.h.sync();
  }

  async size(): Promise<number> {
    return this.length;
  }

  close(): Promise<void> {
    return this.h.close();
  }
}
