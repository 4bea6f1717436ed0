import { Filetype } from '../abi/constants.js';
import type { FsBackend } from '../fs/backend.js';
import type { PreopenConfig, StdioTarget } from './config.js';
import { Desc, FdKind, FdTable, FIRST_PREOPEN_FD } from './shared/fd-table.js';
import { closeDescHandles } from './files.js';
import { preopenRights } from './preopen-numbers.js';
import { stdioEntry } from './stdio.js';

/**
 * Builds the initial fd table of a process: fds 0-2 from the stdio targets, then one directory fd per
 * preopen (3, 4, ...), in order — the order wasi-libc discovers them with fd_prestat_get.
 */
export function createFdTable(
  stdio: readonly StdioTarget[],
  preopens: readonly PreopenConfig[],
  openBackend: (p: PreopenConfig) => FsBackend,
  regions = 1,
  o: { keepPreopenNumbers?: boolean } = {},
): FdTable {
  const fds = FdTable.create(regions);
  // WASIX: fds 3.. stay the preopens' for path calls even when a program reuses the numbers
  if (o.keepPreopenNumbers) fds.reservePreopenNumbers(preopens.length);
  stdio.forEach((t, i) => fds.place(i, stdioEntry(i, t)));
  preopens.forEach((p, i) => {
    const backend = openBackend(p);
    const handle = backend.open('', {
      read: true, write: false, create: false, exclusive: false, truncate: false, directory: true, append: false,
    });
    const rights = preopenRights(p);
    fds.place(FIRST_PREOPEN_FD + i, {
      kind: FdKind.DIR, filetype: Filetype.DIRECTORY, flags: 0, handle, backend: i,
      rightsBase: rights.base, rightsInheriting: rights.inheriting, preopen: i + 1, path: '',
    });
  });
  return fds;
}

/**
 * Closes every fd of a finished single-process run with no WASIX objects (one region: run() on the
 * calling thread): the backend handles of the files and directories it left open, its preopens' too,
 * which would otherwise stay open in a long-lived host process, one set per run.
 */
export function closeFdTable(fds: FdTable, backendOf: (index: number) => FsBackend): void {
  const i = fds.i32;
  fds.closeAllReleasing((db) => {
    try {
      const kind = i[db + Desc.KIND]!;
      if (kind === FdKind.FILE || kind === FdKind.DIR) closeDescHandles(i, db, backendOf(i[db + Desc.BACKEND]!));
    } finally {
      fds.freeDesc(db);
    }
  });
}
