import { Errno, WasiError } from '../abi/errno.js';
import type { Stat } from '../fs/backend.js';
import { DevFs, type DevDescriptor, type DevHooks } from '../fs/devfs.js';
import { isRootMount } from '../fs/path.js';
import type { PreopenConfig } from './config.js';
import { isFileKind, withDesc } from './files.js';
import type { Kernel } from './kernel.js';
import { Desc, FdKind, FdSlot, type FdTable } from './shared/fd-table.js';
import { ttyEntry } from './stdio.js';

/** st_dev reported for fds that are not files of a backend (stdio, pipes, sockets) through /dev/fd. */
const STREAM_DEVICE = 0x6n;

/**
 * The preopens of a process with /dev added (last, so the user's keep fds 3, 4, ...), unless `enabled`
 * is false (run() passes its `dev` option, by default whether the module is WASIX) or one of them is
 * already mounted at /dev (the user's own replaces it).
 */
export function withDevPreopen(
  preopens: PreopenConfig[],
  o: { enabled?: boolean | undefined; tty: boolean; timeMs?: number | undefined },
): PreopenConfig[] {
  if (o.enabled === false) return preopens;
  if (preopens.some((p) => !isRootMount(p.guestPath) && normalize(p.guestPath) === '/dev')) return preopens;
  const backend: DevDescriptor = { kind: 'dev', tty: o.tty, timeMs: o.timeMs ?? Date.now() };
  return [...preopens, { guestPath: '/dev', backend }];
}

function normalize(p: string): string {
  return ('/' + p).replace(/\/+/g, '/').replace(/\/$/, '');
}

/** /dev for the calling thread: its hooks read this process's fd table. */
export function openDevFs(k: Kernel, d: DevDescriptor): DevFs {
  const hooks: DevHooks = {
    random: (dst) => k.host.randomFill(dst),
    openFds: () => k.fds.openFds(),
    fdStat: (fd) => fdStat(k, fd),
  };
  return new DevFs(d, hooks);
}

/** stat of one of the process's fds (what /dev/fd/N answers), undefined when it is not open. */
export function fdStat(k: Kernel, fd: number): Stat | undefined {
  const fds = k.fds;
  if (fds.kind(fd) === FdKind.FREE) return undefined;
  const base = fds.at(fd, 0);
  const i = fds.i32;
  try {
    if (isFileKind(i[base + FdSlot.KIND]!)) {
      return withDesc(k, base, (db) => k.backend(i[db + Desc.BACKEND]!).fstat(i[db + Desc.HANDLE]!));
    }
    const filetype = i[base + FdSlot.FILETYPE]!;
    return { dev: STREAM_DEVICE, ino: BigInt(1 + i[base + FdSlot.DESC]!), filetype, nlink: 1n, size: 0n, atimNs: 0n, mtimNs: 0n, ctimNs: 0n };
  } catch (e) {
    if (e instanceof WasiError && e.errno === Errno.BADF) return undefined; // closed meanwhile
    throw e;
  }
}

/**
 * path_open of /dev/fd/N, /dev/stdin... or /dev/tty in `fds` (the process's table, or a spawned child's):
 * a new fd (lowest free) sharing fd N's open description (dup semantics), or a new terminal fd. ENOENT
 * when N is not open (as Linux).
 */
export function openAlias(fds: FdTable, alias: { fd: number } | { tty: true }): number {
  if ('tty' in alias) return fds.insert(ttyEntry());
  if (fds.kind(alias.fd) === FdKind.FREE) throw new WasiError(Errno.NOENT);
  return fds.dup(alias.fd).fd;
}
