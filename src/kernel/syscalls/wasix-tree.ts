import { Errno, WasiError } from '../../abi/errno.js';
import type { Kernel } from '../kernel.js';
import type { ProcRequest } from '../proc-request.js';
import { ProcTable, ROOT_PID } from '../shared/process-table.js';

/**
 * The calling process's place in its WASIX process tree, shared by the spawn, fork and wait tables. The
 * process table and fd regions are shared buffers, so allocating a pid, filling a child's fds, waiting and
 * reaping all run in the calling thread; only starting a program (compiling it, booting workers) goes to
 * the coordinator, which the caller does not wait for.
 */
export interface ProcessTree {
  /** The process table; undefined outside a process tree (the WASI class, a run without WASIX processes). */
  table: ProcTable | undefined;
  /** This process's pid (ROOT_PID outside a tree). */
  pid: number;
  /** Asks the coordinator to start, replace or signal a process (moving `transfer`'s buffers). */
  post: (m: ProcRequest, transfer?: ArrayBufferLike[]) => void;
  /** The table and this process's row; ENOTSUP outside a tree. */
  require: () => { table: ProcTable; row: number };
}

export function processTree(k: Kernel): ProcessTree {
  const proc = k.cfg.proc;
  const table = proc ? new ProcTable(proc.tableSab) : undefined;
  return {
    table,
    pid: proc?.pid ?? ROOT_PID,
    post: (m, transfer) => k.host.post(m, transfer),
    require: () => {
      if (!table || !proc) throw new WasiError(Errno.NOTSUP);
      return { table, row: proc.row };
    },
  };
}
