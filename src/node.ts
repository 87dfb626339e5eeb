/**
 * `quorumkit/node`: adapters that need Node built-ins (sockets, files).
 * @module quorumkit/node
 */
export { realClock } from './clock.js';
export { NodeFileSystem } from './node/fs.js';
export { createFileStorage } from './node/file-storage.js';
