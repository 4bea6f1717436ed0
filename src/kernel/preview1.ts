// The wasi_snapshot_preview1 table on its own (no WASIX, sockets or threads), so the WASI class's bundle
// holds only what a preview1 instance uses; ./imports.ts builds the full namespaces from it.
import type { Kernel } from './kernel.js';
import { coreSyscalls } from './syscalls/core.js';
import { fdSyscalls } from './syscalls/fd.js';
import { fsSyscalls } from './syscalls/fs.js';
import { pollSyscalls, stdioReadProbe, type ReadProbe, type WriteProbe } from './syscalls/poll.js';
import { FdSlot } from './shared/fd-table.js';
import type { SyscallTable } from './syscalls/types.js';
import { createFileOps } from './files.js';

/** The wasi_snapshot_preview1 functions, as one table. */
export function preview1Table(k: Kernel): SyscallTable {
  const files = createFileOps(k);
  return {
    ...coreSyscalls(k),
    ...fdSyscalls(k, files),
    ...fsSyscalls(k),
    ...pollSyscalls(k, { read: readProbe(k), write: writeProbe(k) }),
  };
}

/** fd_write readiness for poll_oneoff: streams that can be full or not yet connected (sockets). */
function writeProbe(k: Kernel): WriteProbe {
  return (_fd, base) => {
    const stream = k.streams[k.fds.i32[base + FdSlot.KIND]!];
    if (!stream?.writeReady) return { nbytes: 0, hangup: false };
    const r = stream.writeReady(base);
    return r.ready ? r : null;
  };
}

/** fd_read readiness for poll_oneoff: in-kernel streams (pipes, eventfds) first, then stdio and files. */
function readProbe(k: Kernel): ReadProbe {
  const stdio = stdioReadProbe(k);
  return (fd, base) => {
    const stream = k.streams[k.fds.i32[base + FdSlot.KIND]!];
    if (!stream) return stdio(fd, base);
    const r = stream.readReady(base);
    return r.ready ? r : null;
  };
}
