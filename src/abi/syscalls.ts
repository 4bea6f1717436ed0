import { PREVIEW1, WASI_THREADS, WASIX_32V1 } from './syscall-names.js';
import type { SyscallSignature } from './syscall-signature.js';

export type { SyscallSignature } from './syscall-signature.js';

/**
 * Spellings older toolchains import besides the witx names: the first wasi-threads drafts (and wasi-libc
 * builds of late 2022) imported `thread_spawn`, from `wasi` or from `wasi_snapshot_preview1`; Wasmer
 * registers `wasix_32v1.thread_spawn` as an alias of `thread_spawn_v2`.
 */
const THREAD_SPAWN_ALIAS = WASI_THREADS['thread-spawn'];

/**
 * Every import name weft may serve, per module, with its wasm signature (precise types: the syscall
 * tables are typed from them, see kernel/syscalls/types.ts). A WASIX module sees the whole preview1 set
 * under `wasix_32v1` too (as Wasmer registers it).
 */
export const SYSCALL_SPEC = {
  wasi_snapshot_preview1: { ...PREVIEW1, 'thread-spawn': THREAD_SPAWN_ALIAS, thread_spawn: THREAD_SPAWN_ALIAS },
  wasi: { ...WASI_THREADS, thread_spawn: THREAD_SPAWN_ALIAS },
  wasix_32v1: { ...PREVIEW1, ...WASIX_32V1, thread_spawn: WASIX_32V1.thread_spawn_v2 },
} as const;

/** The import modules weft serves, with the signature of every name in each. */
export type SyscallSpec = typeof SYSCALL_SPEC;

/** SYSCALL_SPEC looked up by names known only at run time. */
const byName: Readonly<Record<string, Readonly<Record<string, SyscallSignature>>>> = SYSCALL_SPEC;

/** The signature of module.name, or undefined when no spec we follow defines that import. */
export function syscallSignature(module: string, name: string): SyscallSignature | undefined {
  const ns = byName[module];
  return ns && Object.hasOwn(ns, name) ? ns[name] : undefined;
}
