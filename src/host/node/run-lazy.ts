/**
 * The package entry's `run()`: loads run()'s coordinator (threads, processes, networking, MemoryFS
 * recovery: most of weft) on its first call, so `import 'weft'` for the WASI class compiles only what
 * the WASI class needs. run() is async anyway; the import costs one chunk load, once per process.
 */
import type { RunOptions, RunResult, WasmSource } from './options.js';

let loaded: Promise<typeof import('./run.js')> | undefined;

/** Runs a WASI/wasi-threads/WASIX command to its exit (see ./run.ts); resolves with its RunResult. */
export async function run(wasm: WasmSource, options: RunOptions = {}): Promise<RunResult> {
  loaded ??= import('./run.js');
  return (await loaded).run(wasm, options);
}
