import { Errno, WasiError } from '../abi/errno.js';
import type { FdEntry } from './fdtable.js';
import type { Kernel } from './kernel.js';

/** Operations on fds that refer to filesystem objects (files and directories of a backend). */
export interface FileOps {
  read(fd: number, base: number, iovs: Uint8Array[], position: number | undefined): number;
  write(fd: number, base: number, iovs: Uint8Array[], position: number | undefined): number;
  seek(fd: number, base: number, offset: bigint, whence: number): number;
  filestat(fd: number, base: number, ptr: number): void;
  setFlags(fd: number, base: number, flags: number): void;
  /** Releases what a removed entry held (closes the backend handle). */
  release(e: FdEntry): void;
}

export function createFileOps(_k: Kernel): FileOps {
  const bad = (): never => {
    throw new WasiError(Errno.BADF);
  };
  return { read: bad, write: bad, seek: bad, filestat: bad, setFlags: bad, release: () => {} };
}
