import { parseIp } from '../../kernel/net-addr.js';

/**
 * Parses "HOST:PORT" (IPv6 hosts in brackets, e.g. "[::1]:80"). `wildcards`: '*' is allowed for the host
 * and the port (the --net-allow list; port '*' is stored as 0, "any"). Throws an Error naming what is wrong.
 */
export function parseHostPort(spec: string, wildcards: boolean): { host: string; port: number } {
  const i = spec.lastIndexOf(':');
  if (i <= 0 || i === spec.length - 1) throw new Error(`expected HOST:PORT, got '${spec}'`);
  const host = spec.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const p = spec.slice(i + 1);
  const port = wildcards && p === '*' ? 0 : /^\d{1,5}$/.test(p) ? Number(p) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`'${p}' is not a port (0-65535${wildcards ? ' or *' : ''}) in '${spec}'`);
  const hostOk = host === 'localhost' || (wildcards && host === '*') || parseIp(host) !== undefined;
  if (!hostOk) throw new Error(`'${host}' is not an IP address${wildcards ? ', localhost or *' : ' or localhost'} in '${spec}'`);
  return { host, port };
}
