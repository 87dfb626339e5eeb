/**
 * `quorumkit/node`: adapters that need Node built-ins (sockets, files).
 * @module quorumkit/node
 */
export { realClock } from './clock.js';
