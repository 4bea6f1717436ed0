import { Filetype } from '../abi/constants.js';
import type { FsBackend } from '../fs/backend.js';
import type { PreopenConfig, StdioTarget } from './config.js';
import { FdKind, FdTable } from './shared/fd-table.js';
import { DIR_RIGHTS, FILE_RIGHTS, WRITE_RIGHTS } from './rights.js';
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
): FdTable {
  const fds = FdTable.create(regions);
  stdio.forEach((t, i) => fds.place(i, stdioEntry(i, t)));
  preopens.forEach((p, i) => {
    const backend = openBackend(p);
    const handle = backend.open('', {
      read: true, write: false, create: false, exclusive: false, truncate: false, directory: true, append: false,
    });
    const ro = p.backend.readOnly ? WRITE_RIGHTS : 0;
    fds.place(3 + i, {
      kind: FdKind.DIR, filetype: Filetype.DIRECTORY, flags: 0, handle, backend: i,
      rightsBase: DIR_RIGHTS & ~ro, rightsInheriting: (DIR_RIGHTS | FILE_RIGHTS) & ~ro, preopen: i + 1, path: '',
    });
  });
  return fds;
}
