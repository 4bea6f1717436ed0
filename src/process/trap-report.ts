import { errnoName } from '../abi/errno.js';
import { functionNames } from '../abi/wasm-names.js';

/** What a trap report needs from the trapping thread. */
export interface TrapContext {
  tid: number;
  module: WebAssembly.Module | undefined;
  /** The thread's last failed syscall (Kernel.lastFailedCall, as "module.name" or "name"), and its errno. */
  lastFailedCall: string | undefined;
  lastFailedErrno: number;
}

const FRAME = /wasm-function\[(\d+)\]:(0x[0-9a-f]+)/;
const MAX_FRAMES = 16;

/**
 * The report of a thread that trapped: what trapped, in which function (named from the module's name
 * section, V8's frames give only indices without it), the last syscall that failed before it ("abort()
 * after fd_write returned EBADF": a program that aborts usually does so because of that error), and the
 * wasm frames.
 */
export function describeTrap(e: unknown, c: TrapContext): string {
  const err = e as { name?: string; message?: string; stack?: string } | null;
  const kind = err?.name === 'RuntimeError' ? 'trap' : err?.name === 'RangeError' ? 'trap (stack overflow)' : 'error';
  const lines = (err?.stack ?? '').split('\n');
  let names: Map<number, string> | undefined;
  const nameOf = (index: number): string | undefined => {
    if (!c.module) return undefined;
    names ??= functionNames(c.module);
    return names.get(index);
  };
  const frames: string[] = [];
  let top: string | undefined;
  for (const l of lines) {
    const m = FRAME.exec(l);
    if (!m) continue;
    const index = Number(m[1]);
    const name = nameOf(index);
    top ??= name ? `${name}()` : `wasm-function[${index}]`;
    if (frames.length < MAX_FRAMES) frames.push(`    #${frames.length} ${name ?? '?'} (wasm-function[${index}]:${m[2]})`);
  }
  const failed = c.lastFailedCall
    ? ` after ${c.lastFailedCall.slice(c.lastFailedCall.indexOf('.') + 1)} returned E${errnoName(c.lastFailedErrno)}` : '';
  const where = top ? ` in ${top}` : '';
  return `weft: thread ${c.tid} ${kind}: ${err?.message ?? String(e)}${where}${failed}${frames.length ? '\n' + frames.join('\n') : ''}`;
}
