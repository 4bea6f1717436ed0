import { errnoName } from '../abi/errno.js';
import { ProcExit, ThreadExit, ThreadKilled } from './exits.js';
import type { Kernel } from './kernel.js';
import type { SyscallBody, SyscallKind } from './syscalls/types.js';

/**
 * Syscall tracing (WEFT_LOG=debug / --trace). Only applied when enabled: wrapping happens when the
 * import object is built, so a run without tracing executes the bare syscalls.
 */
export type ArgFormatter = (k: Kernel, args: unknown[]) => string;

/** Decoders that print a call's arguments more usefully than raw numbers (e.g. structs). */
export const argFormatters: Record<string, ArgFormatter> = {};

function fmt(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : String(v);
}

/** How calls that end the thread or process are shown (they are logged before they run). */
const ENDING: Record<string, (args: unknown[]) => string> = {
  proc_exit: (a) => `exit(${fmt(a[0])})`,
  proc_exit2: (a) => `exit(${fmt(a[0])})`,
  thread_exit: () => 'thread exit',
};

/**
 * Wraps an import (already behind the syscall boundary) with a log line per call. `kind` and `resultKind`
 * (from the table entry and the witx signature) say how to show the outcome.
 */
export function traced(k: Kernel, name: string, fn: SyscallBody, kind: SyscallKind, resultKind: 'errno' | 'none' | 'i32'): SyscallBody {
  const short = name.slice(name.indexOf('.') + 1);
  if (kind === 'ends') {
    const ending = ENDING[short] ?? (() => 'ends');
    return function (...args: (number | bigint)[]) {
      k.host.log(`weft[tid ${k.tid}] ${name}(${args.map(fmt).join(', ')}) -> ${ending(args)}`);
      return fn(...args);
    };
  }
  const returnsErrno = kind !== 'void' && resultKind === 'errno';
  return function (...args: (number | bigint)[]) {
    const t0 = performance.now();
    let result: number | string | void = undefined;
    try {
      result = fn(...args);
      return result;
    } catch (e) {
      result = e instanceof ProcExit ? `exit(${e.code})` : e instanceof ThreadExit ? 'thread exit'
        : e instanceof ThreadKilled ? 'killed (process exiting)' : `threw ${String(e)}`;
      throw e;
    } finally {
      const us = ((performance.now() - t0) * 1000).toFixed(1);
      const decoded = argFormatters[short]?.(k, args);
      const shown = typeof result === 'number' && returnsErrno ? `${result} (${errnoName(result)})`
        : result === undefined ? 'void' : fmt(result);
      k.host.log(`weft[tid ${k.tid}] ${name}(${args.map(fmt).join(', ')})${decoded ? ' ' + decoded : ''} -> ${shown} ${us}us`);
    }
  };
}
