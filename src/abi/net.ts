/**
 * wasix_32v1 networking constants and struct layouts (api_wasix.h of wasix-libc), declared once.
 * Offsets are bytes for wasm32.
 */

/** __wasi_address_family_t. */
export const AddressFamily = { UNSPEC: 0, INET4: 1, INET6: 2, UNIX: 3 } as const;

/** __wasi_sock_type_t (0 is an unused placeholder in WASIX). */
export const SockType = { STREAM: 1, DGRAM: 2, RAW: 3, SEQPACKET: 4 } as const;

/** __wasi_sock_proto_t values weft accepts. */
export const SockProto = { IP: 0, TCP: 6, UDP: 17 } as const;

/** __wasi_sock_status_t. */
export const SockStatus = { OPENING: 0, OPENED: 1, CLOSED: 2, FAILED: 3 } as const;

/** __wasi_sock_option_t. */
export const SockOption = {
  NOOP: 0, REUSE_PORT: 1, REUSE_ADDR: 2, NO_DELAY: 3, DONT_ROUTE: 4, ONLY_V6: 5, BROADCAST: 6,
  MULTICAST_LOOP_V4: 7, MULTICAST_LOOP_V6: 8, PROMISCUOUS: 9, LISTENING: 10, LAST_ERROR: 11,
  KEEP_ALIVE: 12, LINGER: 13, OOB_INLINE: 14, RECV_BUF_SIZE: 15, SEND_BUF_SIZE: 16, RECV_LOWAT: 17,
  SEND_LOWAT: 18, RECV_TIMEOUT: 19, SEND_TIMEOUT: 20, CONNECT_TIMEOUT: 21, ACCEPT_TIMEOUT: 22, TTL: 23,
  MULTICAST_TTL_V4: 24, TYPE: 25, PROTO: 26,
} as const;

/**
 * __wasi_addr_port_t (110 bytes, align 2): tag u8 @0 (AddressFamily), then the union @2:
 * port u16 @2 (a host-order number, stored little-endian: wasix-libc passes ntohs(sin_port)),
 * address bytes @4 in network order (4 for INET4; 16 for INET6, then flow info @20 and scope id @24).
 */
export const AddrPort = { tag: 0, port: 2, addr: 4, flowInfo: 20, scopeId: 24, size: 110, align: 2 } as const;

/** __wasi_addr_ip_t (18 bytes, align 2): tag u8 @0, address bytes @2 (4 or 16, network order). */
export const AddrIp = { tag: 0, addr: 2, size: 18, align: 2 } as const;

/** __wasi_epoll_event_t (32 bytes, align 8): events u32 @0, data { ptr @8, fd @12, data1 @16, data2 u64 @24 }. */
export const EpollEvent = { events: 0, ptr: 8, fd: 12, data1: 16, data2: 24, size: 32, align: 8 } as const;

/** __wasi_epoll_type_t bits. */
export const EpollType = {
  IN: 1 << 0, OUT: 1 << 1, RDHUP: 1 << 2, PRI: 1 << 3, ERR: 1 << 4, HUP: 1 << 5, ET: 1 << 6, ONESHOT: 1 << 7,
} as const;

/**
 * epoll_ctl operations. api_wasix.h declares ADD 0, MOD 1, DEL 2, but wasix-libc's epoll_ctl() passes
 * the Linux values through unchanged (ADD 1, DEL 2, MOD 3) and every C program goes through it; weft
 * follows the libc, and also takes 0 as ADD.
 */
export const EpollCtl = { ADD_HEADER: 0, ADD: 1, DEL: 2, MOD: 3 } as const;

/** riflags (sock_recv) and roflags. */
export const RiFlags = { PEEK: 1, WAITALL: 2, DATA_TRUNCATED: 4, DONT_WAIT: 8 } as const;
export const RoFlags = { DATA_TRUNCATED: 1 } as const;

/** sdflags (sock_shutdown). */
export const SdFlags = { RD: 1, WR: 2 } as const;
