import { PREVIEW1, WASI_THREADS, WASIX_32V1 } from './syscall-names.js';
import type { SyscallSignature } from './syscall-signature.js';

export type { SyscallSignature } from './syscall-signature.js';

/**
 * Spellings older toolchains import besides the witx names: the first wasi-threads drafts (and wasi-libc
 * builds of late 2022) imported `thread_spawn`, from `wasi` or from `wasi_snapshot_preview1`; Wasmer
 * registers `wasix_32v1.thread_spawn` as an alias of `thread_spawn_v2`.
 */
const THREAD_SPAWN_ALIAS: SyscallSignature = WASI_THREADS['thread-spawn']!;
const LEGACY: Readonly<Record<string, Readonly<Record<string, SyscallSignature>>>> = {
  wasi_snapshot_preview1: { 'thread-spawn': THREAD_SPAWN_ALIAS, thread_spawn: THREAD_SPAWN_ALIAS },
  wasi: { thread_spawn: THREAD_SPAWN_ALIAS },
  wasix_32v1: { thread_spawn: WASIX_32V1['thread_spawn_v2']! },
};

/**
 * Every import name weft may serve, per module, with its wasm signature. A WASIX module sees the whole
 * preview1 set under `wasix_32v1` too (as Wasmer registers it).
 */
export const SYSCALL_SPEC: Readonly<Record<string, Readonly<Record<string, SyscallSignature>>>> = {
  wasi_snapshot_preview1: { ...PREVIEW1, ...LEGACY['wasi_snapshot_preview1'] },
  wasi: { ...WASI_THREADS, ...LEGACY['wasi'] },
  wasix_32v1: { ...PREVIEW1, ...WASIX_32V1, ...LEGACY['wasix_32v1'] },
};

/** The signature of module.name, or undefined when no spec we follow defines that import. */
export function syscallSignature(module: string, name: string): SyscallSignature | undefined {
  const ns = SYSCALL_SPEC[module];
  return ns && Object.hasOwn(ns, name) ? ns[name] : undefined;
}
