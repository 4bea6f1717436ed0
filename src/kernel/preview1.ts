// The wasi_snapshot_preview1 table on its own (no WASIX, sockets or threads), so the WASI class's bundle
// holds only what a preview1 instance uses; ./imports.ts builds the full namespaces from it.
import type { Kernel } from './kernel.js';
import { coreSyscalls } from './syscalls/core.js';
import { fdSyscalls } from './syscalls/fd.js';
import { fsSyscalls } from './syscalls/fs.js';
import { pollSyscalls } from './syscalls/poll.js';
import type { Preview1Table } from './syscalls/types.js';
import { createFileOps } from './files.js';

/** The wasi_snapshot_preview1 functions, as one table. */
export function preview1Table(k: Kernel): Preview1Table {
  const files = createFileOps(k);
  return {
    ...coreSyscalls(k),
    ...fdSyscalls(k, files),
    ...fsSyscalls(k),
    ...pollSyscalls(k),
  };
}
