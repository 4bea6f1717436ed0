import { Errno, WasiError } from '../abi/errno.js';
import type { FsBackend, Stat } from './backend.js';

/** The first bytes of every wasm module. */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * A program file's identity: preopen, device, inode, size and both times. A file rewritten or replaced
 * (renamed over, truncated and written, copied onto) changes at least one of them, so a cache keyed by it
 * never runs an old program for a new file.
 */
export function programIdentity(preopen: number, s: Stat): string {
  return `${preopen}:${s.dev}:${s.ino}:${s.size}:${s.mtimNs}:${s.ctimNs}`;
}

const OPEN_READ = { read: true, write: false, create: false, exclusive: false, truncate: false, directory: false, append: false };

/**
 * Opens a program file (a backend path already resolved) and identifies it from the open handle, then
 * reads all of it only when `want(identity)` says so. Throws NOEXEC for a short file or one that is no
 * wasm module (by its magic; validation is the caller's).
 */
export function openProgram(be: FsBackend, path: string, preopen: number,
  want: (file: string) => boolean): { file: string; bytes: Uint8Array<ArrayBuffer> | undefined } {
  const h = be.open(path, OPEN_READ);
  try {
    const s = be.fstat(h);
    const file = programIdentity(preopen, s);
    if (!want(file)) return { file, bytes: undefined };
    const size = Number(s.size);
    const out = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      const n = be.pread(h, out.subarray(got), got);
      if (n <= 0) break;
      got += n;
    }
    if (got !== size || size < 8 || WASM_MAGIC.some((b, i) => out[i] !== b)) throw new WasiError(Errno.NOEXEC);
    return { file, bytes: out };
  } finally {
    be.close(h);
  }
}
