import type { BootData } from '../../threads/runtime.js';

/** Index of the shared word counting messages a worker has posted that the page must see before teardown. */
export const OUT_POSTED = 0;

/** What the page sends a new worker (its only message). */
export interface WorkerStart {
  boot: BootData;
  /** Int32Array over a SharedArrayBuffer of one word: OUT_POSTED, bumped before each output/log post. */
  outCounter: SharedArrayBuffer;
}

/** Messages of the browser host itself, beside the kernel's ToCoordinator ones. */
export type HostMessage =
  /** A diagnostic line (trap report, trace) from a thread. */
  | { t: 'log'; line: string }
  /** runThread returned: the worker is about to close itself (browsers have no worker exit event). */
  | { t: 'worker-done' };
