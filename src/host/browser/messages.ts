import type { BootData } from '../../process/thread-runtime.js';

/** What the page sends a worker to run a thread (once, or again after 'worker-done' when reusable). */
export interface WorkerStart {
  boot: BootData;
  /** The process's output ring (see ring.ts). */
  ring: SharedArrayBuffer;
  /** Stay open after the thread ends, for the next WorkerStart (the page may reuse the worker). */
  reusable?: boolean;
}

/** Messages of the browser host itself, beside the kernel's ToCoordinator ones. */
export type HostMessage =
  /** The output ring has data and the page had drained everything before. */
  | { t: 'out-ready' }
  /** runThread returned: the worker is about to close itself (browsers have no worker exit event). */
  | { t: 'worker-done' };
