// Trace argument decoders: one per argument kind (abi/syscall-args.ts), reading guest memory as strace
// does. Only the trace (kernel/trace.ts) calls them, so their cost is paid only when tracing.
import { Clock, Advice, EventType, FdFlags, FstFlags, LookupFlags, OFlags, Rights, Signal, Whence } from '../abi/constants.js';
import { Iovec, Subscription } from '../abi/layouts.js';
import { PAIR_KINDS, type ArgKind } from '../abi/syscall-args.js';
import type { Kernel } from './kernel.js';
import { FdKind, FdSlot, MAX_FDS } from './shared/fd-table.js';

type V = number | bigint;
const MAX_TEXT = 96;
const MAX_ITEMS = 8;

const hex = (v: V): string => '0x' + (Number(v) >>> 0).toString(16);
const num = (v: V): number => (typeof v === 'bigint' ? Number(BigInt.asUintN(64, v)) : v);

const entries = new WeakMap<object, [string, number][]>();
/** A constant table's entries, listed once. */
function entriesOf(table: Readonly<Record<string, number>>): [string, number][] {
  let e = entries.get(table);
  if (!e) entries.set(table, (e = Object.entries(table)));
  return e;
}

/** `A|B|0x40` for a flags value; `0` for none. */
export function flagsText(table: Readonly<Record<string, number>>, value: V): string {
  let v = typeof value === 'bigint' ? Number(BigInt.asUintN(53, value)) : value >>> 0;
  if (v === 0) return '0';
  const out: string[] = [];
  for (const [name, bit] of entriesOf(table)) {
    if (bit !== 0 && v % (bit * 2) >= bit) {
      out.push(name);
      v -= bit;
    }
  }
  if (v !== 0) out.push('0x' + v.toString(16));
  return out.join('|');
}

/** The name of an enum value, else the number. */
export function enumText(table: Readonly<Record<string, number>>, value: V): string {
  const n = num(value);
  for (const [name, v] of entriesOf(table)) if (v === n) return name;
  return String(n);
}

const ALL_RIGHTS = Object.values(Rights).reduce((a, b) => a + b, 0);

function bits(v: number): number {
  let n = 0;
  for (; v > 0; v = Math.floor(v / 2)) n += v % 2;
  return n;
}

function rightsText(v: V): string {
  const n = Number(BigInt.asUintN(53, BigInt(v)));
  // wasi-libc asks for every right it may ever need: `ALL` instead of thirty names.
  const low = n % (ALL_RIGHTS + 1);
  const missing = ALL_RIGHTS - low;
  if (missing === 0) return 'ALL';
  // "ALL&~(...)" when fewer rights are missing than present (wasi-libc's usual masks).
  return bits(missing) < bits(low) ? `ALL&~(${flagsText(Rights, missing)})` : flagsText(Rights, n);
}

function text(k: Kernel, ptr: V, len: V): string {
  const n = num(len) >>> 0;
  const m = k.mem.sync();
  const p = m.check(num(ptr), Math.min(n, MAX_TEXT));
  const s = new TextDecoder().decode(m.u8.slice(p, p + Math.min(n, MAX_TEXT)));
  return JSON.stringify(s.replace(/\0+$/, '')) + (n > MAX_TEXT ? '...' : '');
}

function iovs(k: Kernel, ptr: V, count: V): string {
  const n = num(count) >>> 0;
  const m = k.mem.sync();
  const p = m.check(num(ptr), Math.min(n, MAX_ITEMS) * Iovec.size);
  const sizes: number[] = [];
  for (let i = 0; i < Math.min(n, MAX_ITEMS); i++) sizes.push(m.dv.getUint32(p + i * Iovec.size + Iovec.len, true));
  return `[${sizes.join(', ')}${n > MAX_ITEMS ? ', ...' : ''}]`;
}

/** `3</data/x>` for an fd with a path (strace -y), else the number. */
function fdText(k: Kernel, fd: V): string {
  const n = num(fd);
  if (n >>> 0 >= MAX_FDS || k.fds.kind(n) === FdKind.FREE) return String(n);
  const base = k.fds.at(n, 0);
  const preopen = k.fds.i32[base + FdSlot.PREOPEN]!;
  const path = preopen ? k.cfg.preopens[preopen - 1]?.guestPath : k.fds.path(base);
  return path ? `${n}<${path}>` : String(n);
}

function subs(k: Kernel, ptr: V, count: V): string {
  const n = num(count) >>> 0;
  const m = k.mem.sync();
  const p = m.check(num(ptr), Math.min(n, MAX_ITEMS) * Subscription.size);
  const out: string[] = [];
  for (let i = 0; i < Math.min(n, MAX_ITEMS); i++) {
    const s = p + i * Subscription.size;
    const tag = m.dv.getUint8(s + Subscription.tag);
    if (tag === EventType.CLOCK) {
      const abs = (m.dv.getUint16(s + Subscription.clockFlags, true) & 1) !== 0;
      out.push(`clock ${nsText(m.dv.getBigUint64(s + Subscription.clockTimeout, true))}${abs ? ' abs' : ''}`);
    } else {
      out.push(`${tag === EventType.FD_READ ? 'read' : tag === EventType.FD_WRITE ? 'write' : `tag${tag}`} ${fdText(k, m.dv.getUint32(s + Subscription.fdFd, true))}`);
    }
  }
  return `[${out.join(', ')}${n > MAX_ITEMS ? ', ...' : ''}]`;
}

function nsText(v: V): string {
  const n = num(v);
  if (n >= 2 ** 63) return 'inf';
  return n === 0 ? '0' : n >= 1e9 ? `${+(n / 1e9).toFixed(3)}s` : n >= 1e6 ? `${+(n / 1e6).toFixed(3)}ms` : `${n}ns`;
}

function outU32(k: Kernel, ptr: V): string {
  const m = k.mem.sync();
  return `[${m.dv.getUint32(m.check(num(ptr), 4), true)}]`;
}

function outU64(k: Kernel, ptr: V): string {
  const m = k.mem.sync();
  return `[${m.dv.getBigUint64(m.check(num(ptr), 8), true)}]`;
}

const SdFlags = { RD: 1, WR: 2 } as const;

/** Decoders of input kinds (shown before the call of a blocking call, else with the whole line). */
const INPUT: Partial<Record<ArgKind, (k: Kernel, a: V[], i: number) => string>> = {
  fd: (k, a, i) => fdText(k, a[i]!),
  path: (k, a, i) => text(k, a[i]!, a[i + 1]!),
  iovs: (k, a, i) => iovs(k, a[i]!, a[i + 1]!),
  buf: (_k, a, i) => `${hex(a[i]!)}, ${num(a[i + 1]!)}`,
  subs: (k, a, i) => subs(k, a[i]!, a[i + 2]!),
  oflags: (_k, a, i) => flagsText(OFlags, a[i]!),
  fdflags: (_k, a, i) => flagsText(FdFlags, a[i]!),
  lookup: (_k, a, i) => flagsText(LookupFlags, a[i]!),
  rights: (_k, a, i) => rightsText(a[i]!),
  fstflags: (_k, a, i) => flagsText(FstFlags, a[i]!),
  whence: (_k, a, i) => enumText(Whence, a[i]!),
  clockid: (_k, a, i) => enumText(Clock, a[i]!),
  advice: (_k, a, i) => enumText(Advice, a[i]!),
  signal: (_k, a, i) => 'SIG' + enumText(Signal, a[i]!),
  sdflags: (_k, a, i) => flagsText(SdFlags, a[i]!),
  ns: (_k, a, i) => nsText(a[i]!),
  ptr: (_k, a, i) => hex(a[i]!),
  num: (_k, a, i) => String(a[i]),
};

/** Decoders of what the call wrote (shown after it, and only when it succeeded). */
const OUTPUT: Partial<Record<ArgKind, (k: Kernel, a: V[], i: number) => string>> = {
  out: (k, a, i) => outU32(k, a[i]!),
  outfd: (k, a, i) => outU32(k, a[i]!),
  out64: (k, a, i) => outU64(k, a[i]!),
  outpath: (k, a, i) => text(k, a[i]!, a[i + 1]!),
};

/**
 * The arguments as text. `phase`: 'in' decodes inputs only (outputs shown as `...`), 'out' outputs only
 * (for a resumed line), 'all' both; outputs of a failed call are shown as addresses. An argument that
 * cannot be read is shown raw.
 */
export function decodeArgs(k: Kernel, kinds: readonly ArgKind[] | undefined, a: V[], phase: 'in' | 'out' | 'all', ok: boolean): string {
  if (!kinds) return phase === 'out' ? '' : a.map(String).join(', ');
  const parts: string[] = [];
  let i = 0;
  for (const kind of kinds) {
    const out = OUTPUT[kind];
    const width = PAIR_KINDS.has(kind) ? 2 : 1;
    if (out ? phase !== 'in' : phase !== 'out') {
      let s: string;
      try {
        s = out ? (ok ? out(k, a, i) : hex(a[i]!)) : INPUT[kind]!(k, a, i);
      } catch {
        s = width === 2 ? `${hex(a[i]!)}, ${num(a[i + 1]!)}` : hex(a[i]!);
      }
      parts.push(s);
    } else if (phase === 'in') {
      parts.push('...');
    }
    i += width;
  }
  return parts.join(', ');
}

/** fd_read/fd_pread on a file or directory return without waiting: no `<unfinished ...>` for them. */
export function mayWait(k: Kernel, fd: number): boolean {
  if (fd >>> 0 >= MAX_FDS) return false;
  const kind = k.fds.kind(fd);
  return kind !== FdKind.FILE && kind !== FdKind.DIR && kind !== FdKind.FREE;
}
