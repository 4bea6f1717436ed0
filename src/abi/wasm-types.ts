/**
 * Types describing wasm modules and WebAssembly's JS API types, for weft's public declarations (a
 * file of types only, free of DOM names: the Node entry's declarations reach it).
 *
 * WebAssembly's JS API types: TypeScript declares the `WebAssembly`
 * namespace only in the DOM and webworker libs, and @types/node declares none, so a Node project built
 * with `lib: ["ES2022"]` would fail on `WebAssembly.Module` in weft's .d.ts files. These resolve to the
 * real types where the user's lib has them, and to `object` where it does not.
 */
type Globals = typeof globalThis;
type InstanceOf<K extends string> = Globals extends { WebAssembly: { [k in K]: { prototype: infer T } } } ? T : object;

/** A compiled module (`WebAssembly.Module`). */
export type WasmModule = InstanceOf<'Module'>;
/** An instance (`WebAssembly.Instance`). */
export type WasmInstance = InstanceOf<'Instance'>;
/** A memory (`WebAssembly.Memory`). */
export type WasmMemory = InstanceOf<'Memory'>;

/** A wasm value type as JS sees it at the boundary ('ref' for every reference type). */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'ref';

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface FunctionSignatures {
  /** The types of the function imports, in import order (as WebAssembly.Module.imports lists them). */
  imports: { module: string; name: string; type: FuncType }[];
  /** The types of exported functions, by export name. */
  exports: Record<string, FuncType>;
}

