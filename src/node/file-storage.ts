/**
 * `createFileStorage`: a {@link FileStorage} on the local disk in one call.
 * @module
 */
import { resolve } from 'node:path';
import { FileStorage } from '../storage/file/file-storage.js';
import type { FileStorageOptions } from '../storage/file/options.js';
import { NodeFileSystem } from './fs.js';

/**
 * A {@link FileStorage} in directory `dir` (relative paths resolve against the
 * working directory; created at the first `load` if missing) on a {@link NodeFileSystem}.
 *
 * @example
 * ```ts
 * const storage = createFileStorage('./data/n1', { clusterId: 'prod', nodeId: 'n1' });
 * const node = new RaftNode({ id: 'n1', peers, storage, transport, stateMachine });
 * await node.start();
 * ```
 */
export function createFileStorage(dir: string, options: FileStorageOptions): FileStorage {
  // FileStorage joins paths with '/', which Node accepts on Windows too.
  return new FileStorage(new NodeFileSystem(), resolve(dir).replaceAll('\\', '/'), options);
}
