/**
 * `formatTable`: the node table as `docker node ls` prints it.
 * @module
 */
import type { NodeRecord } from './types.js';

/** Options of {@link formatTable}. */
export interface FormatTableOptions {
  /** The local node's id, marked with `*` after its ID. */
  readonly localId?: string;
}

const cap = (s: string): string => (s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1));

/**
 * Render records with the columns of `docker node ls`: ID, HOSTNAME,
 * STATUS, AVAILABILITY, MANAGER STATUS, ENGINE VERSION; sorted by hostname
 * then id; columns separated by at least three spaces.
 *
 * @example
 * ```ts
 * console.log(formatTable(await store.list(), { localId: 'node-1' }));
 * // ID         HOSTNAME   STATUS   AVAILABILITY   MANAGER STATUS   ENGINE VERSION
 * // node-1 *   alpha      Ready    Active         Leader           24.0.7
 * ```
 */
export function formatTable(nodes: readonly NodeRecord[], options: FormatTableOptions = {}): string {
  const sorted = [...nodes].sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rows = [
    ['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS', 'ENGINE VERSION'],
    ...sorted.map((n) => [
      n.id === options.localId ? `${n.id} *` : n.id,
      n.hostname,
      cap(n.status),
      cap(n.availability),
      n.managerStatus === undefined ? '' : cap(n.managerStatus),
      n.version,
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3))).join('').trimEnd()).join('\n');
}
