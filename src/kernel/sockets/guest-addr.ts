import { Errno, WasiError } from '../../abi/errno.js';
import { AddressFamily, AddrPort } from '../../abi/net.js';
import type { GuestMemory } from '../memory.js';
import { ipString } from '../net-addr.js';
import type { SockAddr } from '../shared/net-state.js';

/** A socket address (AddrPort) the guest passed (EFAULT, EAFNOSUPPORT). */
export function readAddr(m: GuestMemory, ptr: number): SockAddr {
  const p = m.check(ptr, AddrPort.size);
  const tag = m.dv.getUint8(p + AddrPort.tag);
  const port = m.dv.getUint16(p + AddrPort.port, true);
  if (tag === AddressFamily.INET4) return { family: tag, port, ip: m.u8.slice(p + AddrPort.addr, p + AddrPort.addr + 4) };
  if (tag === AddressFamily.INET6) return { family: tag, port, ip: m.u8.slice(p + AddrPort.addr, p + AddrPort.addr + 16) };
  throw new WasiError(Errno.AFNOSUPPORT);
}

/** Writes a socket address as an AddrPort. */
export function writeAddr(m: GuestMemory, ptr: number, a: SockAddr): void {
  const p = m.check(ptr, AddrPort.size);
  m.u8.fill(0, p, p + AddrPort.size);
  m.dv.setUint8(p + AddrPort.tag, a.family);
  m.dv.setUint16(p + AddrPort.port, a.port, true);
  m.u8.set(a.ip, p + AddrPort.addr);
}

/** The wildcard address of a family, port 0. */
export function anyAddr(family: number): SockAddr {
  return { family, port: 0, ip: new Uint8Array(family === AddressFamily.INET6 ? 16 : 4) };
}

/** Trace decoding: the address at ptr, e.g. "127.0.0.1:8080" (never throws). */
export function describeAddr(m: GuestMemory, ptr: number): string {
  try {
    const p = m.check(ptr, AddrPort.size);
    const family = m.dv.getUint8(p + AddrPort.tag);
    if (family !== AddressFamily.INET4 && family !== AddressFamily.INET6) return `family ${family}`;
    const ip = m.u8.slice(p + AddrPort.addr, p + AddrPort.addr + (family === AddressFamily.INET6 ? 16 : 4));
    const port = m.dv.getUint16(p + AddrPort.port, true);
    const text = ipString({ family, port, ip });
    return family === AddressFamily.INET6 ? `[${text}]:${port}` : `${text}:${port}`;
  } catch {
    return 'bad address pointer';
  }
}
