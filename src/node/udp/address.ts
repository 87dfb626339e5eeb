/** `host:port` and `[v6]:port` addresses of the UDP gossip transport. */
import { InvalidConfigError } from '../../errors.js';

/** A parsed address. */
export interface HostPort {
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string;
  /** Port number. */
  readonly port: number;
}

/** Parse `host:port` or `[v6]:port`; null if malformed. */
export function parseHostPort(address: string): HostPort | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:[\]]+):(\d{1,5})$/.exec(address);
  if (m === null) return null;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { host: m[1]!, port };
}

/** Format a host and port as an address others can send to. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parse or throw `InvalidConfigError`. */
export function requireHostPort(address: string, what: string): HostPort {
  const hp = parseHostPort(address);
  if (hp === null) throw new InvalidConfigError(`${what}: expected host:port or [v6]:port, got ${JSON.stringify(address)}`);
  return hp;
}
