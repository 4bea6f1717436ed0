import { Errno, WasiError } from '../abi/errno.js';
import { Filetype, Rights } from '../abi/constants.js';
import type { StdioTarget } from './config.js';
import { FdKind, type FdEntry } from './shared/fd-table.js';
import type { Kernel } from './kernel.js';
import { Chan } from './shared/channel.js';
import { concatIovecs, iovBytes, scatter } from './iovec.js';

const STDIN_RIGHTS = Rights.FD_READ | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;
const STDOUT_RIGHTS = Rights.FD_WRITE | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;

/**
 * A character device that is not a terminal (/dev/null, 'ignore') also has the seek and tell rights, as
 * under node:wasi: wasi-libc's isatty() is "a character device without them", so it says 0 there.
 */
const NOT_A_TTY = Rights.FD_SEEK | Rights.FD_TELL;

export function stdioFiletype(t: StdioTarget): number {
  if (t.kind === 'fd') return t.tty || t.chardev ? Filetype.CHARACTER_DEVICE : t.file ? Filetype.REGULAR_FILE : Filetype.UNKNOWN;
  if (t.kind === 'null') return Filetype.CHARACTER_DEVICE;
  return Filetype.UNKNOWN;
}

function nonTtyDevice(t: StdioTarget): boolean {
  return t.kind === 'null' || (t.kind === 'fd' && t.chardev && !t.tty);
}

/** The fd table entry for fd 0, 1 or 2. HANDLE is the index into KernelConfig.stdio. */
export function stdioEntry(index: number, t: StdioTarget): FdEntry {
  return {
    kind: FdKind.STDIO, filetype: stdioFiletype(t), flags: 0, handle: index, backend: -1,
    rightsBase: (index === 0 ? STDIN_RIGHTS : STDOUT_RIGHTS) | (nonTtyDevice(t) ? NOT_A_TTY : 0), rightsInheriting: 0,
  };
}

export function stdioWrite(k: Kernel, handle: number, iovs: Uint8Array[]): number {
  const t = k.cfg.stdio[handle];
  if (!t) throw new WasiError(Errno.BADF);
  switch (t.kind) {
    case 'fd':
      return k.host.writeStdio(t, handle, iovs);
    case 'callback': {
      const data = concatIovecs(iovs);
      const n = data.length; // read before the transfer: it detaches data (length 0 after)
      k.host.post({ t: 'stdout', fd: handle, data }, [data.buffer]);
      return n;
    }
    case 'null':
      return iovBytes(iovs);
    case 'served':
      throw new WasiError(Errno.BADF);
  }
}

export function stdioRead(k: Kernel, handle: number, iovs: Uint8Array[]): number {
  const t = k.cfg.stdio[handle];
  if (!t) throw new WasiError(Errno.BADF);
  const want = iovBytes(iovs);
  if (want === 0) return 0;
  switch (t.kind) {
    case 'fd': {
      // Only regular files are read here directly; they never block indefinitely.
      let total = 0;
      for (const v of iovs) {
        const n = k.host.readStdioSync(t, v);
        total += n;
        if (n < v.length) break;
      }
      return total;
    }
    case 'served': {
      const n = k.request({ t: 'stdin-read', max: Math.min(want, Chan.DATA_BYTES) })!;
      if (n < 0) throw new WasiError(-n);
      return scatter(iovs, k.chan.data.subarray(0, n));
    }
    case 'null':
      return 0;
    case 'callback':
      throw new WasiError(Errno.BADF);
  }
}
