import { Errno } from '../../abi/errno.js';
import { SockOption, SockProto, SockType } from '../../abi/net.js';
import { OptionTimestamp } from '../../abi/wasix.js';
import type { Kernel } from '../kernel.js';
import { NET_RING_BYTES, type NetState, Sock, SockKind, SockState, Want } from '../shared/net-state.js';
import { errno, type WasixTable } from '../syscalls/types.js';
import type { RingTransport } from './ring-transport.js';

/** Word of a socket option's value (Sock.OPTS + option). */
export const optionWord = (net: NetState, o: number, opt: number): number => net.s(o, Sock.OPTS + opt);

/** The listen backlog is kept in the word of SockOption.NOOP, which no option uses. */
export const backlogWord = (net: NetState, o: number): number => optionWord(net, o, SockOption.NOOP);

const FLAG_OPTS = new Set<number>([
  SockOption.REUSE_PORT, SockOption.REUSE_ADDR, SockOption.NO_DELAY, SockOption.DONT_ROUTE, SockOption.ONLY_V6,
  SockOption.BROADCAST, SockOption.MULTICAST_LOOP_V4, SockOption.MULTICAST_LOOP_V6, SockOption.KEEP_ALIVE,
  SockOption.OOB_INLINE, SockOption.PROMISCUOUS,
]);
const TIME_OPTS = new Set<number>([
  SockOption.RECV_TIMEOUT, SockOption.SEND_TIMEOUT, SockOption.CONNECT_TIMEOUT, SockOption.ACCEPT_TIMEOUT, SockOption.LINGER,
]);
const SIZE_OPTS = new Set<number>([
  SockOption.RECV_BUF_SIZE, SockOption.SEND_BUF_SIZE, SockOption.RECV_LOWAT, SockOption.SEND_LOWAT, SockOption.TTL,
  SockOption.MULTICAST_TTL_V4,
]);
const SIZE_DEFAULTS: Record<number, number> = {
  [SockOption.RECV_BUF_SIZE]: NET_RING_BYTES, [SockOption.SEND_BUF_SIZE]: NET_RING_BYTES,
  [SockOption.RECV_LOWAT]: 1, [SockOption.SEND_LOWAT]: 1, [SockOption.TTL]: 64, [SockOption.MULTICAST_TTL_V4]: 1,
};

/**
 * sock_{set,get}_opt_{flag,time,size}: option values live in the socket object (the ring transport reads
 * the timeouts, the owner of host sockets applies no-delay and keep-alive when Want.OPTS is rung).
 */
export function socketOptionSyscalls(k: Kernel, t: RingTransport, objectOf: (fd: number) => { o: number }): WasixTable {
  const net = t.net;
  const i32 = net.i32;
  return {
    sock_set_opt_flag: errno(function sock_set_opt_flag(fd: number, opt: number, flag: number) {
      const { o } = objectOf(fd);
      if (!FLAG_OPTS.has(opt)) return Errno.INVAL;
      if (flag !== 0 && flag !== 1) return Errno.INVAL;
      i32[optionWord(net, o, opt)] = flag;
      if (opt === SockOption.NO_DELAY || opt === SockOption.KEEP_ALIVE) net.want(o, Want.OPTS);
      return 0;
    }),

    sock_get_opt_flag: errno(function sock_get_opt_flag(fd: number, opt: number, ret: number) {
      const m = k.mem.sync();
      m.check(ret, 1);
      const { o } = objectOf(fd);
      let v: number;
      if (opt === SockOption.LISTENING) v = t.state(o) === SockState.LISTENING ? 1 : 0;
      else if (FLAG_OPTS.has(opt)) v = i32[optionWord(net, o, opt)]! ? 1 : 0;
      else return Errno.INVAL;
      m.setU8(ret, v);
      return 0;
    }),

    sock_set_opt_time: errno(function sock_set_opt_time(fd: number, opt: number, ptr: number) {
      const m = k.mem.sync();
      const p = m.check(ptr, OptionTimestamp.size);
      const { o } = objectOf(fd);
      if (!TIME_OPTS.has(opt)) return Errno.INVAL;
      const tag = m.dv.getUint8(p + OptionTimestamp.tag);
      if (tag > 1) return Errno.INVAL;
      const ns = tag === 1 ? m.dv.getBigUint64(p + OptionTimestamp.value, true) : 0n;
      // Stored as whole ms, rounded up (a tiny timeout is not "none"), capped at ~24 days; -1 is some(0).
      i32[optionWord(net, o, opt)] = tag === 0 ? 0 : ns === 0n ? -1 : Math.min(0x7ffffffe, Math.ceil(Number(ns) / 1e6));
      return 0;
    }),

    sock_get_opt_time: errno(function sock_get_opt_time(fd: number, opt: number, ret: number) {
      const m = k.mem.sync();
      const p = m.check(ret, OptionTimestamp.size);
      const { o } = objectOf(fd);
      if (!TIME_OPTS.has(opt)) return Errno.INVAL;
      const v = i32[optionWord(net, o, opt)]!;
      m.u8.fill(0, p, p + OptionTimestamp.size);
      if (v !== 0) {
        m.dv.setUint8(p + OptionTimestamp.tag, 1);
        m.dv.setBigUint64(p + OptionTimestamp.value, v < 0 ? 0n : BigInt(v) * 1000000n, true);
      }
      return 0;
    }),

    sock_set_opt_size: errno(function sock_set_opt_size(fd: number, opt: number, size: bigint) {
      const { o } = objectOf(fd);
      if (!SIZE_OPTS.has(opt)) return Errno.INVAL;
      const v = BigInt.asUintN(64, BigInt(size));
      if (opt === SockOption.TTL && (v < 1n || v > 255n)) return Errno.INVAL;
      i32[optionWord(net, o, opt)] = Number(v > 0x7fffffffn ? 0x7fffffffn : v);
      return 0;
    }),

    sock_get_opt_size: errno(function sock_get_opt_size(fd: number, opt: number, ret: number) {
      const m = k.mem.sync();
      m.check(ret, 8);
      const { o } = objectOf(fd);
      let v: number;
      if (opt === SockOption.LAST_ERROR) v = t.takeError(o);
      else if (opt === SockOption.TYPE) v = t.kind(o) === SockKind.STREAM ? SockType.STREAM : SockType.DGRAM;
      else if (opt === SockOption.PROTO) v = t.kind(o) === SockKind.STREAM ? SockProto.TCP : SockProto.UDP;
      else if (SIZE_OPTS.has(opt)) v = i32[optionWord(net, o, opt)]! || SIZE_DEFAULTS[opt]!;
      else return Errno.INVAL;
      m.setU64n(ret, v);
      return 0;
    }),
  };
}
