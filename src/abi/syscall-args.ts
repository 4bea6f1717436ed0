import type { PREVIEW1, WASI_THREADS, WASIX_32V1 } from './syscall-names.js';

/**
 * What each syscall parameter means, for the trace (kernel/trace.ts decodes each kind once). A kind
 * covers one wasm parameter, except the pairs marked below, which cover two (pointer, length).
 *  - fd: a descriptor; path: (ptr, len) text; iovs: (ptr, count) iovec array; buf: (ptr, len) bytes;
 *  - out / out64 / outfd: a pointer the call writes a u32 / u64 / fd to (shown after the call);
 *  - outpath: (ptr, len) text the call writes (fd_prestat_dir_name, getcwd);
 *  - subs: poll_oneoff's subscriptions (their count is the third parameter);
 *  - oflags, fdflags, lookup, rights, fstflags, whence, clockid, advice, signal, sdflags: named constants;
 *  - ns: a duration or timestamp in ns; num: a plain number; ptr: an address.
 */
export type ArgKind =
  | 'fd' | 'path' | 'iovs' | 'buf' | 'out' | 'out64' | 'outfd' | 'outpath' | 'subs'
  | 'oflags' | 'fdflags' | 'lookup' | 'rights' | 'fstflags' | 'whence' | 'clockid' | 'advice' | 'signal' | 'sdflags'
  | 'ns' | 'num' | 'ptr';

/** Kinds that cover two wasm parameters. */
export const PAIR_KINDS: ReadonlySet<ArgKind> = new Set<ArgKind>(['path', 'iovs', 'buf', 'outpath']);

type Name = keyof typeof PREVIEW1 | keyof typeof WASIX_32V1 | keyof typeof WASI_THREADS | 'thread_spawn';

/**
 * Argument kinds per syscall. A syscall missing here is traced with raw numbers; each row's kinds cover
 * exactly its witx parameters (test/trace.test.mjs checks the widths against syscall-names.ts).
 */
export const SYSCALL_ARGS: Partial<Record<Name, readonly ArgKind[]>> = {
  args_get: ['ptr', 'ptr'],
  args_sizes_get: ['out', 'out'],
  environ_get: ['ptr', 'ptr'],
  environ_sizes_get: ['out', 'out'],
  clock_res_get: ['clockid', 'out64'],
  clock_time_get: ['clockid', 'ns', 'out64'],
  fd_advise: ['fd', 'num', 'num', 'advice'],
  fd_allocate: ['fd', 'num', 'num'],
  fd_close: ['fd'],
  fd_datasync: ['fd'],
  fd_fdstat_get: ['fd', 'ptr'],
  fd_fdstat_set_flags: ['fd', 'fdflags'],
  fd_fdstat_set_rights: ['fd', 'rights', 'rights'],
  fd_filestat_get: ['fd', 'ptr'],
  fd_filestat_set_size: ['fd', 'num'],
  fd_filestat_set_times: ['fd', 'ns', 'ns', 'fstflags'],
  fd_pread: ['fd', 'iovs', 'num', 'out'],
  fd_prestat_get: ['fd', 'ptr'],
  fd_prestat_dir_name: ['fd', 'outpath'],
  fd_pwrite: ['fd', 'iovs', 'num', 'out'],
  fd_read: ['fd', 'iovs', 'out'],
  fd_readdir: ['fd', 'ptr', 'num', 'num', 'out'],
  fd_renumber: ['fd', 'fd'],
  fd_seek: ['fd', 'num', 'whence', 'out64'],
  fd_sync: ['fd'],
  fd_tell: ['fd', 'out64'],
  fd_write: ['fd', 'iovs', 'out'],
  path_create_directory: ['fd', 'path'],
  path_filestat_get: ['fd', 'lookup', 'path', 'ptr'],
  path_filestat_set_times: ['fd', 'lookup', 'path', 'ns', 'ns', 'fstflags'],
  path_link: ['fd', 'lookup', 'path', 'fd', 'path'],
  path_open: ['fd', 'lookup', 'path', 'oflags', 'rights', 'rights', 'fdflags', 'outfd'],
  path_readlink: ['fd', 'path', 'ptr', 'num', 'out'],
  path_remove_directory: ['fd', 'path'],
  path_rename: ['fd', 'path', 'fd', 'path'],
  path_symlink: ['path', 'fd', 'path'],
  path_unlink_file: ['fd', 'path'],
  poll_oneoff: ['subs', 'ptr', 'num', 'out'],
  proc_exit: ['num'],
  proc_raise: ['signal'],
  random_get: ['buf'],
  sock_accept: ['fd', 'fdflags', 'outfd'],
  sock_recv: ['fd', 'iovs', 'num', 'out', 'ptr'],
  sock_send: ['fd', 'iovs', 'num', 'out'],
  sock_shutdown: ['fd', 'sdflags'],
  // WASIX
  fd_dup: ['fd', 'outfd'],
  fd_event: ['num', 'fdflags', 'outfd'],
  fd_pipe: ['outfd', 'outfd'],
  fd_fdflags_get: ['fd', 'out'],
  fd_fdflags_set: ['fd', 'num'],
  getcwd: ['ptr', 'out'],
  chdir: ['path'],
  thread_sleep: ['ns'],
  thread_id: ['out'],
  thread_join: ['num'],
  thread_parallelism: ['out'],
  thread_signal: ['num', 'signal'],
  futex_wait: ['ptr', 'num', 'ptr', 'out'],
  futex_wake: ['ptr', 'out'],
  futex_wake_all: ['ptr', 'out'],
  thread_exit: ['num'],
  thread_spawn_v2: ['ptr', 'out'],
  'thread-spawn': ['ptr'],
  thread_spawn: ['ptr'],
  path_open2: ['fd', 'lookup', 'path', 'oflags', 'rights', 'rights', 'fdflags', 'num', 'outfd'],
  proc_raise_interval: ['signal', 'ns', 'num'],
  proc_fork: ['num', 'out'],
  proc_exit2: ['num'],
  proc_id: ['out'],
  proc_signal: ['num', 'signal'],
  sock_open: ['num', 'num', 'num', 'outfd'],
  sock_bind: ['fd', 'ptr'],
  sock_listen: ['fd', 'num'],
  sock_accept_v2: ['fd', 'fdflags', 'outfd', 'ptr'],
  sock_connect: ['fd', 'ptr'],
  sock_recv_from: ['fd', 'iovs', 'num', 'out', 'ptr', 'ptr'],
  sock_send_to: ['fd', 'iovs', 'num', 'ptr', 'out'],
  epoll_create: ['outfd'],
  epoll_ctl: ['fd', 'num', 'fd', 'ptr'],
  epoll_wait: ['fd', 'ptr', 'num', 'ns', 'out'],
};
