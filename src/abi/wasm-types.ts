/**
 * WebAssembly's JS API types for weft's public declarations. TypeScript declares the `WebAssembly`
 * namespace only in the DOM and webworker libs, and @types/node declares none, so a Node project built
 * with `lib: ["ES2022"]` would fail on `WebAssembly.Module` in weft's .d.ts files. These resolve to the
 * real types where the user's lib has them, and to `object` where it does not.
 */
type Globals = typeof globalThis;
type WasmApi = Globals extends { WebAssembly: infer W } ? W : never;
type InstanceOf<K extends string> = WasmApi extends { [k in K]: { prototype: infer T } } ? T : object;

/** A compiled module (`WebAssembly.Module`). */
export type WasmModule = InstanceOf<'Module'>;
/** An instance (`WebAssembly.Instance`). */
export type WasmInstance = InstanceOf<'Instance'>;
/** A memory (`WebAssembly.Memory`). */
export type WasmMemory = InstanceOf<'Memory'>;
