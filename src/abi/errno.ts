/** WASI errno values (wasi_snapshot_preview1, identical in wasix_32v1; WASIX adds 77..80). */
export const Errno = {
  SUCCESS: 0, TOOBIG: 1, ACCES: 2, ADDRINUSE: 3, ADDRNOTAVAIL: 4, AFNOSUPPORT: 5, AGAIN: 6, ALREADY: 7,
  BADF: 8, BADMSG: 9, BUSY: 10, CANCELED: 11, CHILD: 12, CONNABORTED: 13, CONNREFUSED: 14, CONNRESET: 15,
  DEADLK: 16, DESTADDRREQ: 17, DOM: 18, DQUOT: 19, EXIST: 20, FAULT: 21, FBIG: 22, HOSTUNREACH: 23,
  IDRM: 24, ILSEQ: 25, INPROGRESS: 26, INTR: 27, INVAL: 28, IO: 29, ISCONN: 30, ISDIR: 31, LOOP: 32,
  MFILE: 33, MLINK: 34, MSGSIZE: 35, MULTIHOP: 36, NAMETOOLONG: 37, NETDOWN: 38, NETRESET: 39,
  NETUNREACH: 40, NFILE: 41, NOBUFS: 42, NODEV: 43, NOENT: 44, NOEXEC: 45, NOLCK: 46, NOLINK: 47,
  NOMEM: 48, NOMSG: 49, NOPROTOOPT: 50, NOSPC: 51, NOSYS: 52, NOTCONN: 53, NOTDIR: 54, NOTEMPTY: 55,
  NOTRECOVERABLE: 56, NOTSOCK: 57, NOTSUP: 58, NOTTY: 59, NXIO: 60, OVERFLOW: 61, OWNERDEAD: 62,
  PERM: 63, PIPE: 64, PROTO: 65, PROTONOSUPPORT: 66, PROTOTYPE: 67, RANGE: 68, ROFS: 69, SPIPE: 70,
  SRCH: 71, STALE: 72, TIMEDOUT: 73, TXTBSY: 74, XDEV: 75, NOTCAPABLE: 76,
  // WASIX additions
  SHUTDOWN: 77, MEMVIOLATION: 78, UNKNOWN: 79, PENDING: 80,
} as const;
export type Errno = (typeof Errno)[keyof typeof Errno];

const names: string[] = [];
for (const [k, v] of Object.entries(Errno)) names[v] = k;
/** Symbolic name of an errno, for logs ("NOENT"). */
export function errnoName(e: number): string {
  return names[e] ?? `E${e}`;
}

/** Thrown by kernel and filesystem code; the syscall boundary turns it into its errno. */
export class WasiError extends Error {
  constructor(readonly errno: number, message?: string) {
    super(message ?? errnoName(errno));
  }
}

/** Node/libuv error codes ("ENOENT") to WASI errno. */
const hostCodes: Record<string, number> = {
  E2BIG: Errno.TOOBIG, EACCES: Errno.ACCES, EADDRINUSE: Errno.ADDRINUSE, EADDRNOTAVAIL: Errno.ADDRNOTAVAIL,
  EAFNOSUPPORT: Errno.AFNOSUPPORT, EAGAIN: Errno.AGAIN, EALREADY: Errno.ALREADY, EBADF: Errno.BADF,
  EBUSY: Errno.BUSY, ECANCELED: Errno.CANCELED, ECONNABORTED: Errno.CONNABORTED, ECONNREFUSED: Errno.CONNREFUSED,
  ECONNRESET: Errno.CONNRESET, EDEADLK: Errno.DEADLK, EDQUOT: Errno.DQUOT, EEXIST: Errno.EXIST, EFAULT: Errno.FAULT,
  EFBIG: Errno.FBIG, EINTR: Errno.INTR, EINVAL: Errno.INVAL, EIO: Errno.IO, EISCONN: Errno.ISCONN,
  EISDIR: Errno.ISDIR, ELOOP: Errno.LOOP, EMFILE: Errno.MFILE, EMLINK: Errno.MLINK, EMSGSIZE: Errno.MSGSIZE,
  ENAMETOOLONG: Errno.NAMETOOLONG, ENFILE: Errno.NFILE, ENOBUFS: Errno.NOBUFS, ENODEV: Errno.NODEV,
  ENOENT: Errno.NOENT, ENOEXEC: Errno.NOEXEC, ENOMEM: Errno.NOMEM, ENOSPC: Errno.NOSPC, ENOSYS: Errno.NOSYS,
  ENOTCONN: Errno.NOTCONN, ENOTDIR: Errno.NOTDIR, ENOTEMPTY: Errno.NOTEMPTY, ENOTSOCK: Errno.NOTSOCK,
  ENOTSUP: Errno.NOTSUP, EOPNOTSUPP: Errno.NOTSUP, ENOTTY: Errno.NOTTY, ENXIO: Errno.NXIO, EOVERFLOW: Errno.OVERFLOW,
  EPERM: Errno.PERM, EPIPE: Errno.PIPE, ERANGE: Errno.RANGE, EROFS: Errno.ROFS, ESPIPE: Errno.SPIPE,
  ESRCH: Errno.SRCH, ETIMEDOUT: Errno.TIMEDOUT, ETXTBSY: Errno.TXTBSY, EXDEV: Errno.XDEV, EILSEQ: Errno.ILSEQ,
};

/**
 * The errno of an expected failure: a WasiError (guest faults included: GuestMemory throws EFAULT for
 * every out-of-bounds pointer), or a host error with a Node `code` weft knows. Undefined for anything else,
 * which is a bug or a host surprise (a TypeError, a JS stack overflow, an unknown code), never the guest's.
 */
export function knownErrno(e: unknown): number | undefined {
  if (e instanceof WasiError) return e.errno;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in hostCodes ? hostCodes[code]! : undefined;
}

/** Map anything thrown by kernel or host code to a WASI errno (anything unexpected becomes EIO). */
export function toErrno(e: unknown): number {
  return knownErrno(e) ?? Errno.IO;
}
