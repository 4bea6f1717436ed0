// Compiled by test/typed-seam.test.mjs (tsc --noEmit): syscall tables are typed from the witx signatures,
// so each entry under `// @ts-expect-error` must fail to compile (tsc reports an unused directive
// otherwise) and the good table must compile.
import { blocking, ends, errno, voidCall, type Preview1Table, type WasixTable } from '../../src/kernel/syscalls/types.js';

export const good: Preview1Table = {
  fd_close: errno(function fd_close(fd: number) {
    return fd;
  }),
  clock_time_get: errno(function clock_time_get(id: number, precision: bigint, ptr: number) {
    return id + ptr + Number(precision);
  }),
  poll_oneoff: blocking(function poll_oneoff(inPtr: number, outPtr: number, n: number, neventsPtr: number) {
    return inPtr + outPtr + n + neventsPtr;
  }),
  proc_exit: ends(function proc_exit(code: number): void {
    throw new Error(`exit ${code}`);
  }),
};

export const goodWasix: WasixTable = {
  callback_signal: voidCall(function callback_signal(ptr: number, len: number): void {
    void (ptr + len);
  }),
  thread_sleep: blocking(function thread_sleep(ns: bigint) {
    return Number(ns);
  }),
};

// One entry a table: the compiler reports the first bad property of an object literal only.
export const badI64 = {
  // @ts-expect-error a number where the import passes an i64
  clock_time_get: errno(function clock_time_get(id: number, precision: number, ptr: number) {
    return id + ptr + precision;
  }),
} satisfies Preview1Table;
export const badI32 = {
  // @ts-expect-error a bigint where the import passes an i32
  fd_close: errno(function fd_close(fd: bigint) {
    return Number(fd);
  }),
} satisfies Preview1Table;
export const badFewer = {
  // @ts-expect-error a parameter fewer than the import passes
  fd_seek: errno(function fd_seek(fd: number, offset: bigint, whence: number) {
    return fd + Number(offset) + whence;
  }),
} satisfies Preview1Table;
export const badMore = {
  // @ts-expect-error a parameter more than the import passes
  fd_sync: errno(function fd_sync(fd: number, extra: number) {
    return fd + extra;
  }),
} satisfies Preview1Table;
export const badKindErrno = {
  // @ts-expect-error an errno kind for an import without a result
  proc_exit: errno(function proc_exit(code: number) {
    return code;
  }),
} satisfies Preview1Table;
export const badKindVoid = {
  // @ts-expect-error a void kind for an import with a result
  sched_yield: voidCall(function sched_yield(): void {}),
} satisfies Preview1Table;
export const badBare = {
  // @ts-expect-error a bare function (the old style, without a kind)
  fd_datasync: (fd: number) => fd,
} satisfies Preview1Table;
export const badName = {
  // @ts-expect-error a name no witx file declares
  fd_wirte: errno(function fd_wirte(fd: number, iovs: number, n: number, ret: number) {
    return fd + iovs + n + ret;
  }),
} satisfies Preview1Table;
export const badWasix = {
  // @ts-expect-error thread_sleep passes an i64 (nanoseconds)
  thread_sleep: blocking(function thread_sleep(ns: number) {
    return ns;
  }),
} satisfies WasixTable;
