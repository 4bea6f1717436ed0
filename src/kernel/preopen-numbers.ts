import type { PreopenConfig } from './config.js';
import type { Kernel } from './kernel.js';
import { FdKind, FdSlot, FIRST_PREOPEN_FD, type FdTable } from './shared/fd-table.js';
import { DIR_RIGHTS, FILE_RIGHTS, WRITE_RIGHTS } from './rights.js';

/**
 * Preopen numbers (WASIX process trees). wasi-libc finds its preopens once, at start-up, by asking
 * fd_prestat_get for fds 3, 4, ... until EBADF, and from then on resolves every path by handing the
 * number it found to path_* calls. A POSIX program may reuse any fd number: a shell's `exec 3>file`
 * (dup2 onto 3) or `exec 3>&-` would otherwise cut the process off from its files, and every child it
 * execs with that fd 3 would find no preopens at all.
 *
 * So in a WASIX tree preopen i keeps the number 3+i for path resolution, whatever fd 3+i holds now:
 *  - a path_* call whose dirfd is such a number and is not an open directory resolves in preopen i, with
 *    the rights the preopen was given;
 *  - fd_prestat_get/fd_prestat_dir_name answer for preopen i at 3+i unless that fd is itself another
 *    preopen, so a child's libc finds the same preopens after exec;
 *  - "lowest free fd" allocation skips those numbers (FdTable.reservePreopenNumbers), so they are only
 *    reused by explicit placement (dup2/renumber), never by an open() that the libc would mistake.
 * Everything else about the fd (read, write, fstat, close) is the fd that is there now.
 */

/** The preopen index whose number `fd` is, when path calls should reach it through that number. */
export function preopenOfNumber(fds: FdTable, fd: number): number | undefined {
  const n = fds.preopenNumbers;
  if (fd < FIRST_PREOPEN_FD || fd >= FIRST_PREOPEN_FD + n) return undefined;
  return fd - FIRST_PREOPEN_FD;
}

/** The preopen fd_prestat_get reports for `fd`; -1 for none (EBADF). */
export function prestatIndex(k: Kernel, fd: number): number {
  const fds = k.fds;
  if (fds.kind(fd) === FdKind.DIR) {
    const pre = fds.i32[fds.at(fd, FdSlot.PREOPEN)]! - 1;
    if (pre >= 0) return pre;
  }
  return preopenOfNumber(fds, fd) ?? -1;
}

/** The rights a preopen's directory fd is created with (and path calls through its number keep). */
export function preopenRights(p: PreopenConfig): { base: number; inheriting: number } {
  const ro = p.backend.readOnly ? WRITE_RIGHTS : 0;
  return { base: DIR_RIGHTS & ~ro, inheriting: (DIR_RIGHTS | FILE_RIGHTS) & ~ro };
}
