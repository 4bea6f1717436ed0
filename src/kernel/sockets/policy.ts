import { Errno, WasiError } from '../../abi/errno.js';
import type { NetPolicy } from '../config.js';
import type { Kernel } from '../kernel.js';
import { ipString, isLoopback, parseIp } from '../net-addr.js';
import type { SockAddr } from '../shared/net-state.js';

/**
 * Is addr:port allowed by the network policy (--net, --net-allow)? Without an address: may the program
 * use the network at all (open a socket, resolve a name)?
 */
export function netAllowed(p: NetPolicy | undefined, a: SockAddr | undefined): boolean {
  if (!p) return false;
  if (p.all) return true;
  if (!a) return p.allow.length > 0;
  const text = ipString(a);
  return p.allow.some((e) => {
    if (e.port !== 0 && e.port !== a.port) return false;
    if (e.host === '*') return true;
    if (e.host === 'localhost') return isLoopback(a);
    const h = parseIp(e.host);
    return !!h && ipString({ family: h.family, port: 0, ip: h.ip }) === text;
  });
}

/** Refuses what the policy does not allow: EACCES, and a line saying why under --trace. */
export function deny(k: Kernel, what: string, a?: SockAddr): never {
  if (k.cfg.trace) {
    k.host.log(`weft: [tid ${k.tid}] network ${what}${a ? ` ${ipString(a)}:${a.port}` : ''} not allowed (--net / --net-allow)`);
  }
  throw new WasiError(Errno.ACCES);
}
