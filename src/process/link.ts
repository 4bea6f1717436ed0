/**
 * Linking a program before any thread starts: which of its imports weft serves, which the user's
 * `imports` option provides, and which are unknown (an error naming them all, or traps when allowed);
 * and what it runs: `_start`, or the export `invoke` names, with its arguments checked against the
 * function's type.
 */
import type { FunctionSignatures } from '../abi/wasm-types.js';
import type { WasmModule } from '../abi/wasm-types.js';
import type { InvokeOptions, UserImports } from './link-types.js';
import { SYSCALL_SPEC, syscallSignature } from '../abi/syscalls.js';
import type { ImportPlan } from '../kernel/config.js';
import { InvokeError, NotACommandError, UnknownImportsError } from './errors.js';

export type { InvokeOptions, UserImportContext, UserImports } from './link-types.js';

/** Namespaces whose imports weft serves; `imports` may not add to them. */
export const SERVED_NAMESPACES: readonly string[] = Object.keys(SYSCALL_SPEC);

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
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === 'memory') continue;
    const name = `${imp.module}.${imp.name}`;
    if (imp.kind === 'function') {
      if (syscallSignature(imp.module, imp.name)) continue;
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
): { name: string; args: (number | bigint)[] } | undefined {
  if (!invoke) {
    if (exports.includes('_start')) return undefined;
    const kind = exports.includes('_initialize') ? 'a reactor (it exports _initialize, no _start)' : 'not a command (it exports no _start)';
    throw new NotACommandError(`the module is ${kind}; call one of its functions with invoke (--invoke), or load it as a library (e.g. the WASI class and initialize())`);
  }
  const args = invoke.args ?? [];
  if (!exports.includes(invoke.name)) throw new InvokeError(`the module exports no function '${invoke.name}'`);
  if (!sigs) return { name: invoke.name, args };
  const type = sigs.exports[invoke.name];
  if (!type) throw new InvokeError(`'${invoke.name}' is exported, but not as a function`);
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

