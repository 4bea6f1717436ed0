/**
 * Sentinels thrown from imports to unwind a thread's wasm stack. They are not traps: the thread runtime
 * recognises them and ends the thread (or the process) the way the ABI says.
 */
/** proc_exit: this thread claimed the process exit code; every thread is being torn down. */
export class ProcExit {
  constructor(readonly code: number) {}
}
/** WASIX thread_exit: end only the calling thread, cleanly. */
export class ThreadExit {
  constructor(readonly code: number) {}
}
/** The process is exiting (another thread exited or trapped): unwind quietly. */
export class ThreadKilled {}

export function isSentinel(e: unknown): boolean {
  return e instanceof ProcExit || e instanceof ThreadExit || e instanceof ThreadKilled;
}

/** Exit status of a process whose thread trapped (128 + SIGABRT, as Wasmtime's CLI reports). */
export const TRAP_EXIT_CODE = 134;
