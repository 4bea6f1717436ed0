/**
 * What the runtime needs to know about a module before instantiating it, read from its binary:
 * the memory import (module/field name and limits — JS `Module.imports()` has no limits), whether the
 * module exports the thread entry point, and whether it has active data segments (which re-initialise
 * memory on every instantiation, so such modules must not be pre-instantiated in pooled workers).
 */
import { threadReuse, type ThreadReuse } from './thread-reuse.js';

export interface MemoryImport {
  module: string;
  name: string;
  initial: number;
  maximum: number | undefined;
  shared: boolean;
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
  /** Threaded modules: may a pooled worker keep its instance for its next thread (abi/thread-reuse.ts). */
  threadReuse: ThreadReuse | undefined;
}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  u8(): number {
    if (this.pos >= this.b.length) throw new Error('unexpected end of module');
    return this.b[this.pos++]!;
  }
  leb(): number {
    let result = 0, shift = 0, byte: number;
    do {
      byte = this.u8();
      if (shift < 32) result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
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

export function inspectModule(bytes: Uint8Array, module: WebAssembly.Module): ModuleInfo {
  const { memoryImport, hasActiveData } = scanBinary(bytes);
  const exports = WebAssembly.Module.exports(module).map((e) => e.name);
  const functionImports = WebAssembly.Module.imports(module)
    .filter((i) => i.kind === 'function')
    .map((i) => `${i.module}.${i.name}`);
  return {
    memoryImport,
    exportsMemory: WebAssembly.Module.exports(module).some((e) => e.kind === 'memory'),
    hasActiveData,
    functionImports,
    exports,
    usesWasix: functionImports.some((n) => n.startsWith('wasix_32v1.') || n.startsWith('wasix_64v1.')),
    usesWasiThreads: functionImports.some((n) => /^(wasi|wasi_snapshot_preview1)\.thread[-_]spawn$/.test(n)),
    threadReuse: memoryImport?.shared && exports.includes('wasi_thread_start') ? threadReuse(bytes) : undefined,
  };
}
