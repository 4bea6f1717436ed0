import { AddressFamily } from '../abi/net.js';
import type { SockAddr } from './shared/net-state.js';

/** Text form of an address (what node:net takes). */
export function ipString(a: SockAddr): string {
  const b = a.ip;
  if (a.family !== AddressFamily.INET6) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return parts.join(':');
}

/** Parses a textual IPv4/IPv6 address (IPv6 with '::' and an embedded IPv4 tail); undefined if invalid. */
export function parseIp(text: string): { family: number; ip: Uint8Array } | undefined {
  let s = text.replace(/%.*$/, '');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((x) => x > 255)) return undefined;
    return { family: AddressFamily.INET4, ip: new Uint8Array(parts) };
  }
  if (!s.includes(':')) return undefined;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex words.
  const tail = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (tail) {
    const t = parseIp(tail[1]!);
    if (!t) return undefined;
    const hex = (a: number, b: number): string => ((a << 8) | b).toString(16);
    s = s.slice(0, s.length - tail[1]!.length) + hex(t.ip[0]!, t.ip[1]!) + ':' + hex(t.ip[2]!, t.ip[3]!);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const p of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = words(halves[0]!);
  const rest = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !rest) return undefined;
  let full: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    full = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    if (head.length !== 8) return undefined;
    full = head;
  }
  const ip = new Uint8Array(16);
  full.forEach((w, i) => {
    ip[i * 2] = w >> 8;
    ip[i * 2 + 1] = w & 0xff;
  });
  return { family: AddressFamily.INET6, ip };
}

/** A Node-reported address (which may be IPv4-mapped IPv6) as the socket's family wants it. */
export function toSockAddr(text: string | undefined, port: number | undefined, family: number): SockAddr {
  const p = parseIp(text ?? '') ?? { family, ip: new Uint8Array(family === AddressFamily.INET6 ? 16 : 4) };
  if (p.family === AddressFamily.INET6 && family === AddressFamily.INET4) {
    // ::ffff:a.b.c.d seen by an IPv4 socket is a.b.c.d.
    return { family, port: port ?? 0, ip: p.ip.slice(12) };
  }
  if (p.family === AddressFamily.INET4 && family === AddressFamily.INET6) {
    const ip = new Uint8Array(16);
    ip[10] = 0xff;
    ip[11] = 0xff;
    ip.set(p.ip, 12);
    return { family, port: port ?? 0, ip };
  }
  return { family: p.family, port: port ?? 0, ip: p.ip };
}

/** Is the address a loopback one (127/8 or ::1)? */
export function isLoopback(a: SockAddr): boolean {
  if (a.family === AddressFamily.INET4) return a.ip[0] === 127;
  return a.ip.subarray(0, 15).every((b) => b === 0) && a.ip[15] === 1;
}

/** Is it the wildcard address (0.0.0.0 / ::)? */
export function isAny(a: SockAddr): boolean {
  return a.ip.every((b) => b === 0);
}
