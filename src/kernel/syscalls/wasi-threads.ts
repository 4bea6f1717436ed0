import { Errno } from '../../abi/errno.js';
import type { Kernel, ToCoordinator } from '../kernel.js';
import { Ctl, TID_LIMIT } from '../shared/control-block.js';
import { errno, type WasiTable } from './types.js';

/**
 * Spawns a wasm thread that will run wasi_thread_start(tid, arg). Synchronous and cheap: the tid comes
 * from a shared counter and the request goes into the shared queue, where a parked pooled worker takes
 * it (a futex wake). Only when no worker is parked does the coordinator get a message to boot another.
 * Returns the tid, or a negated errno.
 */
export function spawnThread(k: Kernel, arg: number): number {
  if (!k.cfg.hasThreadStart) return -Errno.NOTCAPABLE;
  const i = k.ctl.i32;
  if (Atomics.add(i, Ctl.LIVE, 1) >= k.cfg.maxThreads) {
    Atomics.sub(i, Ctl.LIVE, 1);
    return -Errno.AGAIN;
  }
  const tid = Atomics.add(i, Ctl.NEXT_TID, 1);
  if (tid >= TID_LIMIT || tid <= 0) {
    Atomics.sub(i, Ctl.LIVE, 1);
    return -Errno.AGAIN;
  }
  const pending = k.ctl.push(tid, arg);
  if (Atomics.load(i, Ctl.IDLE) < pending) k.host.post({ t: 'spawn-hint' } satisfies ToCoordinator);
  return tid;
}

/** wasi.thread-spawn (and its older spelling): the tid, or a negated errno (the boundary negates failures too). */
export function wasiThreadSyscalls(k: Kernel): WasiTable {
  const spawn = errno((arg: number): number => spawnThread(k, arg));
  return { 'thread-spawn': spawn, thread_spawn: spawn };
}
