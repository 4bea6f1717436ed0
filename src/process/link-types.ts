/** The types of run()'s `imports` and `invoke` options (on their own: the published types reach them). */
import type { WasmMemory } from '../abi/wasm-types.js';

/**
 * Functions for imports weft does not serve, by module and field: `{ env: { get_answer: () => 42 } }`.
 * Each is called on the thread that called run() (the wasm thread waits meanwhile; a promise is awaited)
 * with the wasm arguments (i64 as BigInt), and `this` set to `{ memory }`: the program's memory when it
 * is shared (threaded builds), else undefined. A namespace weft serves (wasi_snapshot_preview1, wasi,
 * wasix_32v1) cannot be given: a syscall is never replaced silently.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UserImports = Record<string, Record<string, (this: UserImportContext, ...args: any[]) => unknown>>;

export interface UserImportContext {
  /** The program's memory when it is shared (threaded builds); undefined otherwise. */
  memory: WasmMemory | undefined;
}

/** Call an exported function instead of `_start` (as `wasmtime run --invoke`). */
export interface InvokeOptions {
  name: string;
  /** Its arguments: numbers, or BigInts (i64 parameters take either). */
  args?: (number | bigint)[] | undefined;
}
