import type { ForkResume } from './resume.js';

/**
 * Requests a thread sends its coordinator to create or replace processes (served by process/process-tree.ts).
 * `file`: the program file's identity (fs/program-file.ts): the tree's compile cache finds the Module by it
 * without hashing the bytes again. `bytes` is absent when the tree had compiled that file (KernelConfig.proc
 * .programs) or the thread's worker validated it before: should the cache not have it any more, the
 * coordinator reads the file again at `at` (a preopen and a path resolved in it).
 */
export type ProcRequest =
  /** Start `bytes` as the (already allocated) process in `row`, whose fd region is already filled. */
  | { t: 'spawn'; row: number; pid: number; bytes: Uint8Array | undefined; file: string; at: ProgramAt; args: string[];
      env: string[]; cwd: string; ignored: number[] }
  /** Replace the calling process's program (same pid, row and fds). */
  | { t: 'exec'; bytes: Uint8Array | undefined; file: string; at: ProgramAt; args: string[]; env: string[]; cwd: string }
  /**
   * Start a forked child: the same module over a copy of the memory, resuming the forking thread. `spares`:
   * how many spare memories the forking worker still holds (ThreadHost.takeMemory).
   */
  | { t: 'fork'; row: number; pid: number; memory: WebAssembly.Memory; wasixSab: SharedArrayBuffer; resume: ForkResume; spares: number }
  /** Deliver a signal to another process of the tree. */
  | { t: 'kill'; pid: number; sig: number };

/** Where a program file is: a preopen's index and a path resolved in it (fs/backend.ts's form). */
export interface ProgramAt { preopen: number; path: string }
