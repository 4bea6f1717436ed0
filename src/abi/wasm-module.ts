/**
 * What the runtime needs to know about a module before instantiating it, read from its binary:
 * the memory import (module/field name and limits — JS `Module.imports()` has no limits), whether the
 * module exports the thread entry point, and whether it has active data segments (which re-initialise
 * memory on every instantiation, so such modules must not be pre-instantiated in pooled workers).
 */
import { threadReuse, type ThreadReuse } from './thread-reuse.js';
import { Cursor } from './wasm-code.js';

export interface MemoryImport {
  module: string;
  name: string;
  initial: number;
  maximum: number | undefined;
  shared: boolean;
}

/** The descriptor that creates a memory with these limits (a maximum only when the module gives one). */
export function memoryDescriptor(l: { initial: number; maximum: number | undefined }, shared: boolean): WebAssembly.MemoryDescriptor {
  const d: WebAssembly.MemoryDescriptor = { initial: l.initial };
  if (l.maximum !== undefined) d.maximum = l.maximum;
  if (shared) d.shared = true;
  return d;
}

export interface ModuleInfo {
  memoryImport: MemoryImport | undefined;
  exportsMemory: boolean;
  hasActiveData: boolean;
  /** wasi/wasix function imports as "module.name". */
  functionImports: string[];
  exports: string[];
  usesWasix: boolean;
  usesWasiThreads: boolean;
  /** Can the module start threads (a wasi-threads or WASIX thread_spawn import)? */
  spawnsThreads: boolean;
  /** Can the module start processes (a WASIX fork, exec or spawn import)? */
  startsProcesses: boolean;
  /**
   * Threaded modules: may a pooled worker keep its instance for its next thread (abi/thread-reuse.ts).
   * Read on first use (a walk of every instruction, tens of ms for a large program before the JIT warms up):
   * a process's first thread does not need it, so it is not on the way to a program's start.
   */
  threadReuse(): ThreadReuse | undefined;
}

/** A cursor with the readers scanBinary needs beyond the code walker's. */
class Reader extends Cursor {
  constructor(b: Uint8Array) {
    super(b, 0);
  }
  name(): string {
    const len = this.leb();
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  limits(): { initial: number; maximum: number | undefined; shared: boolean; is64: boolean } {
    const flags = this.u8();
    const is64 = (flags & 4) !== 0;
    const initial = this.leb();
    const maximum = flags & 1 ? this.leb() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0, is64 };
  }
}

/** Reads the memory import and data-segment kinds from a binary (before it is compiled). */
export function scanBinary(bytes: Uint8Array): { memoryImport: MemoryImport | undefined; hasActiveData: boolean } {
  const r = new Reader(bytes);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly binary');
  }
  r.pos = 8;
  let memoryImport: MemoryImport | undefined;
  let hasActiveData = false;
  while (r.pos < bytes.length) {
    const id = r.u8();
    const size = r.leb();
    const end = r.pos + size;
    if (id === 2) {
      const n = r.leb();
      for (let i = 0; i < n; i++) {
        const mod = r.name();
        const name = r.name();
        const kind = r.u8();
        if (kind === 0) r.leb();
        else if (kind === 1) { r.u8(); r.limits(); }
        else if (kind === 2) {
          const l = r.limits();
          memoryImport = { module: mod, name, initial: l.initial, maximum: l.maximum, shared: l.shared };
        } else if (kind === 3) { r.u8(); r.u8(); }
        else if (kind === 4) { r.u8(); r.leb(); }
        else throw new Error(`unknown import kind ${kind}`);
      }
    } else if (id === 11) {
      const n = r.leb();
      for (let i = 0; i < n && !hasActiveData; i++) {
        const flags = r.leb();
        if (flags === 1) {
          // passive: skip its bytes (read the length first: `r.pos += r.leb()` would add to the old pos)
          const len = r.leb();
          r.pos += len;
          continue;
        }
        hasActiveData = true;
      }
    }
    r.pos = end;
  }
  return { memoryImport, hasActiveData };
}

/**
 * What the runtime needs to know about a compiled module. Without its bytes (a precompiled module given
 * alone) the JS API tells everything but a memory import's limits (so such a module must not import its
 * memory) and its data segments (assumed active: pooled workers then do not instantiate ahead).
 */
export function inspectModule(bytes: Uint8Array | undefined, module: WebAssembly.Module): ModuleInfo {
  const imports = WebAssembly.Module.imports(module);
  let scanned: ReturnType<typeof scanBinary>;
  if (bytes) scanned = scanBinary(bytes);
  else {
    const mem = imports.find((i) => i.kind === 'memory');
    if (mem) {
      throw new TypeError(`weft: the module imports its memory (${mem.module}.${mem.name}): pass its bytes too, ` +
        'as { module, bytes } (the memory limits are only in the binary)');
    }
    scanned = { memoryImport: undefined, hasActiveData: true };
  }
  const { memoryImport, hasActiveData } = scanned;
  const moduleExports = WebAssembly.Module.exports(module);
  const exports = moduleExports.map((e) => e.name);
  const functionImports = imports.filter((i) => i.kind === 'function').map((i) => `${i.module}.${i.name}`);
  return {
    memoryImport,
    exportsMemory: moduleExports.some((e) => e.kind === 'memory'),
    hasActiveData,
    functionImports,
    exports,
    usesWasix: functionImports.some((n) => n.startsWith('wasix_32v1.') || n.startsWith('wasix_64v1.')),
    usesWasiThreads: functionImports.some((n) => /^(wasi|wasi_snapshot_preview1)\.thread[-_]spawn$/.test(n)),
    spawnsThreads: functionImports.some((n) => /^(wasi|wasi_snapshot_preview1)\.thread[-_]spawn$|^wasix_(32|64)v1\.thread_spawn/.test(n)),
    startsProcesses: functionImports.some((n) => /^wasix_(32|64)v1\.proc_(fork|exec\d*|spawn\d*)$/.test(n)),
    threadReuse: bytes && memoryImport?.shared && exports.includes('wasi_thread_start') ? once(() => threadReuse(bytes)) : () => undefined,
  };
}

function once<T>(f: () => T): () => T {
  let done = false, value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

import type { FuncType, FunctionSignatures, ValType } from './wasm-types.js';

export type { FuncType, FunctionSignatures, ValType } from './wasm-types.js';

const NUMERIC: Record<number, ValType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };

function valType(r: Reader): ValType {
  const b = r.u8();
  const t = NUMERIC[b];
  if (t) return t;
  if (b === 0x63 || b === 0x64) r.leb(); // (ref null? heaptype): a type index or an abstract heap type
  else if (b < 0x69 || b > 0x74) throw new Error(`unknown value type 0x${b.toString(16)}`);
  return 'ref';
}

/** One entry of the type section (after any rec/sub wrapper); undefined for struct/array types. */
function compositeType(r: Reader): FuncType | undefined {
  const form = r.u8();
  if (form === 0x60) {
    const params = Array.from({ length: r.leb() }, () => valType(r));
    const results = Array.from({ length: r.leb() }, () => valType(r));
    return { params, results };
  }
  if (form === 0x5f || form === 0x5e) {
    const fields = form === 0x5f ? r.leb() : 1;
    for (let i = 0; i < fields; i++) {
      const b = r.b[r.pos];
      if (b === 0x78 || b === 0x77) r.pos++; // packed i8/i16
      else valType(r);
      r.u8(); // mutability
    }
    return undefined;
  }
  throw new Error(`unknown type form 0x${form.toString(16)}`);
}

function subType(r: Reader): FuncType | undefined {
  const b = r.b[r.pos];
  if (b === 0x50 || b === 0x4f) {
    r.pos++;
    for (let n = r.leb(); n > 0; n--) r.leb(); // supertypes
  }
  return compositeType(r);
}

/**
 * The signatures of a module's function imports and function exports, read from its binary: the JS API
 * (without the type-reflection proposal) has no types, and the runtime needs them to give a stub the
 * result type its import declares (an i64 result must be a BigInt), and to parse --invoke's arguments.
 */
export function functionSignatures(bytes: Uint8Array): FunctionSignatures {
  scanBinary(bytes); // validates the header
  const r = new Reader(bytes);
  r.pos = 8;
  const types: (FuncType | undefined)[] = [];
  const funcs: (FuncType | undefined)[] = [];
  const out: FunctionSignatures = { imports: [], exports: {} };
  while (r.pos < bytes.length) {
    const id = r.u8();
    const size = r.leb();
    const end = r.pos + size;
    if (id === 1) {
      for (let n = r.leb(); n > 0; n--) {
        if (r.b[r.pos] === 0x4e) {
          r.pos++;
          for (let m = r.leb(); m > 0; m--) types.push(subType(r));
        } else {
          types.push(subType(r));
        }
      }
    } else if (id === 2) {
      for (let n = r.leb(); n > 0; n--) {
        const module = r.name();
        const name = r.name();
        const kind = r.u8();
        if (kind === 0) {
          const type = types[r.leb()] ?? { params: [], results: [] };
          funcs.push(type);
          out.imports.push({ module, name, type });
        } else if (kind === 1) { valType(r); r.limits(); }
        else if (kind === 2) r.limits();
        else if (kind === 3) { valType(r); r.u8(); }
        else if (kind === 4) { r.u8(); r.leb(); }
        else throw new Error(`unknown import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = r.leb(); n > 0; n--) funcs.push(types[r.leb()]);
    } else if (id === 7) {
      for (let n = r.leb(); n > 0; n--) {
        const name = r.name();
        const kind = r.u8();
        const index = r.leb();
        const type = kind === 0 ? funcs[index] : undefined;
        if (type) out.exports[name] = type;
      }
    }
    r.pos = end;
  }
  return out;
}
