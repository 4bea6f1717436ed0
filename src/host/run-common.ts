/**
 * What Node's and the browser's `run()` share: the result object, the `imports`/`invoke` options and
 * their checks against the module (before any thread starts), output capture, and AbortSignal handling.
 * Nothing here uses Node built-ins or DOM-only APIs.
 */
import type { FunctionSignatures, ValType } from '../abi/wasm-module.js';
import { SYSCALL_SPEC } from '../abi/syscalls.js';
import { InvokeError, NotACommandError, UnknownImportsError } from './errors.js';
import type { WasmMemory, WasmModule } from './wasm-types.js';

/** What `run()` resolves to, in Node and in browsers. */
export interface RunResult {
  /** The program's exit status: proc_exit's code, 0 when `_start` returns, 134 after a trap, 128+n for signal n. */
  exitCode: number;
  /** Everything the program wrote to stdout, with `stdout: 'capture'`. */
  stdout?: Uint8Array;
  /** Everything the program wrote to stderr, with `stderr: 'capture'`. */
  stderr?: Uint8Array;
  /** With `invoke`: the function's results (i64 as BigInt); absent when it did not return (exit, trap). */
  results?: (number | bigint)[];
}

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
  args?: (number | bigint)[];
}

/** Namespaces whose imports weft serves; `imports` may not add to them. */
export const SERVED_NAMESPACES: readonly string[] = Object.keys(SYSCALL_SPEC);

/** What the kernel needs to know to link a module's imports (part of its KernelConfig). */
export interface ImportPlan {
  /** Result types of the function imports, in import order (when the bytes were there to read them). */
  importResults: ValType[][] | undefined;
  /** The imports `imports` provides, as "module.field". */
  userImports: string[];
  /** Unknown functions trap when called (instead of failing the run before it starts). */
  allowUnknownImports: boolean;
}

/** Throws a TypeError unless `imports` holds only functions, in namespaces weft does not serve. */
export function validateUserImports(imports: UserImports | undefined): void {
  for (const [mod, fields] of Object.entries(imports ?? {})) {
    if (SERVED_NAMESPACES.includes(mod)) {
      throw new TypeError(`weft: imports.${mod}: weft serves the '${mod}' namespace; imports may only add functions weft does not provide`);
    }
    if (!fields || typeof fields !== 'object') throw new TypeError(`weft: imports.${mod} must be an object of functions`);
    for (const [name, fn] of Object.entries(fields)) {
      if (typeof fn !== 'function') throw new TypeError(`weft: imports.${mod}.${name} must be a function (only functions can be imported)`);
    }
  }
}

/**
 * Checks a module's imports before any thread starts: every one must be served by weft (a WASI/WASIX
 * name, or the memory) or given in `imports`. Otherwise throws UnknownImportsError naming them all,
 * unless `allowUnknown` and they are all functions (those then trap when called).
 */
export function planImports(
  module: WasmModule,
  sigs: FunctionSignatures | undefined,
  user: UserImports | undefined,
  allowUnknown: boolean,
): ImportPlan {
  validateUserImports(user);
  const userImports: string[] = [];
  const unknown: string[] = [];
  let unknownNonFunction = false;
  for (const imp of WebAssembly.Module.imports(module as WebAssembly.Module)) {
    if (imp.kind === 'memory') continue;
    const name = `${imp.module}.${imp.name}`;
    if (imp.kind === 'function') {
      const spec = SYSCALL_SPEC[imp.module];
      if (spec && Object.hasOwn(spec, imp.name)) continue;
      const fields = user && Object.hasOwn(user, imp.module) ? user[imp.module]! : undefined;
      if (fields && Object.hasOwn(fields, imp.name)) {
        userImports.push(name);
        continue;
      }
      unknown.push(name);
    } else {
      unknown.push(`${name} (${imp.kind})`);
      unknownNonFunction = true;
    }
  }
  if (unknown.length > 0 && (!allowUnknown || unknownNonFunction)) {
    throw new UnknownImportsError(unknown, unknownNonFunction
      ? 'weft provides WASI and WASIX functions and a memory; other globals, tables and tags cannot be provided'
      : 'neither weft nor the imports option provides them; --allow-unknown-imports (allowUnknownImports) makes them trap when called');
  }
  return { importResults: sigs?.imports.map((i) => i.type.results), userImports, allowUnknownImports: allowUnknown };
}

/**
 * Checks that the module can be run: a command (`_start`), or one with the function `invoke` names; converts
 * invoke's arguments to its parameter types. Throws NotACommandError or InvokeError.
 */
export function checkEntry(
  exports: string[],
  sigs: FunctionSignatures | undefined,
  invoke: InvokeOptions | undefined,
): InvokeOptions | undefined {
  if (!invoke) {
    if (exports.includes('_start')) return undefined;
    const kind = exports.includes('_initialize') ? 'a reactor (it exports _initialize, no _start)' : 'not a command (it exports no _start)';
    throw new NotACommandError(`the module is ${kind}; call one of its functions with invoke (--invoke), or load it as a library (e.g. the WASI class and initialize())`);
  }
  const args = invoke.args ?? [];
  if (!exports.includes(invoke.name)) throw new InvokeError(`the module exports no function '${invoke.name}'`);
  if (!sigs) return { name: invoke.name, args };
  const type = sigs.exports[invoke.name];
  if (!type) throw new InvokeError(`the module's export '${invoke.name}' is not a function`);
  const unsupported = [...type.params, ...type.results].find((t) => t === 'v128');
  if (unsupported) throw new InvokeError(`'${invoke.name}' takes or returns a ${unsupported}, which JavaScript cannot pass`);
  if (args.length !== type.params.length) {
    throw new InvokeError(`'${invoke.name}' takes ${type.params.length} argument${type.params.length === 1 ? '' : 's'} (${type.params.join(', ') || 'none'}), got ${args.length}`);
  }
  return {
    name: invoke.name,
    args: args.map((a, i) => {
      const t = type.params[i]!;
      if (t === 'i64') {
        if (typeof a === 'bigint') return a;
        if (Number.isInteger(a)) return BigInt(a);
        throw new InvokeError(`argument ${i + 1} of '${invoke.name}' is an i64: ${a} is not an integer`);
      }
      return typeof a === 'bigint' ? Number(a) : a;
    }),
  };
}

/** Collects an output stream's bytes for RunResult.stdout/stderr. */
export class Capture {
  private chunks: Uint8Array[] = [];
  private size = 0;
  readonly write = (data: Uint8Array): void => {
    // The data may be a view of a buffer the runtime reuses: keep a copy.
    this.chunks.push(data.slice());
    this.size += data.length;
  };

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** The exit status of a program ended by aborting its run() (as if by SIGINT). */
export const ABORT_EXIT_CODE = 130;

/** The reason run() rejects with once `signal` aborted it (an AbortError DOMException unless one was given). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('weft: run() was aborted', 'AbortError');
}

/** Rejects at once when `signal` is already aborted: nothing has started. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}
