import type { ForkResume } from './resume.js';

/**
 * Requests a thread sends its coordinator to create or replace processes (served by process/process-tree.ts).
 * `file`: the program file's identity (preopen, device, inode, size, times) when it was read from one: the
 * tree's compile cache finds the Module by it without hashing the bytes again.
 */
export type ProcRequest =
  /** Start `bytes` as the (already allocated) process in `row`, whose fd region is already filled. */
  | { t: 'spawn'; row: number; pid: number; bytes: Uint8Array; file?: string; args: string[]; env: string[]; cwd: string;
      ignored: number[] }
  /** Replace the calling process's program (same pid, row and fds). */
  | { t: 'exec'; bytes: Uint8Array; file?: string; args: string[]; env: string[]; cwd: string }
  /** Start a forked child: the same module over a copy of the memory, resuming the forking thread. */
  | { t: 'fork'; row: number; pid: number; memory: WebAssembly.Memory; wasixSab: SharedArrayBuffer; resume: ForkResume }
  /** Deliver a signal to another process of the tree. */
  | { t: 'kill'; pid: number; sig: number };
