import { errnoName } from '../abi/errno.js';
import { SYSCALL_ARGS, type ArgKind } from '../abi/syscall-args.js';
import { ProcExit, ThreadExit, ThreadKilled } from './exits.js';
import type { Kernel } from './kernel.js';
import { mayPark } from '../abi/agent.js';
import { TraceSummary } from './shared/trace-summary.js';
import type { SyscallBody, SyscallKind } from './syscalls/types.js';
import { decodeArgs, mayWait } from './trace-decode.js';

/**
 * Syscall tracing (--trace / WEFT_LOG=debug: a line per call, like `strace -f -tt -T`; --trace-summary:
 * strace -c's counters). Only applied when enabled: wrapping happens when the import object is built,
 * so a run without tracing executes the bare syscalls.
 *
 * Every thread writes its lines itself, synchronously, to the one log fd (host.log: one write per line),
 * so lines from all threads and processes are in the order they happened. Times are seconds since the
 * process tree started (KernelConfig.clockBaseMs), the same clock in every worker.
 */
export type ArgFormatter = (k: Kernel, args: unknown[]) => string;

/** Struct decoders of particular calls, shown after the arguments (ThreadStart, socket addresses, argv). */
export const argFormatters: Record<string, ArgFormatter> = {};

/** Calls that may wait: shown when they start (`<unfinished ...>`) and when they return (`<... resumed>`). */
const WAITS = new Set([
  'poll_oneoff', 'epoll_wait', 'futex_wait', 'thread_join', 'thread_sleep', 'proc_join', 'sock_accept', 'sock_accept_v2',
  'sock_recv', 'sock_recv_from', 'sock_connect', 'resolve',
]);
/** These wait only on fds that are not files or directories. */
const READS = new Set(['fd_read', 'fd_pread']);

/** Per-thread trace state, made once per kernel. */
class Tracer {
  readonly lines: boolean;
  readonly summary: TraceSummary | undefined;
  /** --profile: the fd Chrome trace events are appended to. */
  readonly profileFd: number | undefined;
  readonly pid: number;
  private readonly lock: Int32Array | undefined;
  private rowTid = -1;
  private summaryRow = 0;

  constructor(private readonly k: Kernel) {
    this.lines = k.cfg.trace;
    this.summary = k.cfg.traceSummary ? new TraceSummary(k.cfg.traceSummary) : undefined;
    this.pid = k.cfg.proc?.pid ?? 1;
    this.profileFd = k.cfg.profileFd;
    this.lock = k.cfg.traceLock ? new Int32Array(k.cfg.traceLock) : undefined;
    if (this.lines) k.onExitClaimed = (code) => this.line(`+++ exited with ${code} +++`, false);
  }

  /** Seconds since the process tree started. */
  private stamp(): string {
    return (this.k.monotonicMs() / 1000).toFixed(6);
  }

  line(text: string, thread = true): void {
    const who = thread ? `[pid ${this.pid} tid ${this.k.tid}]` : `[pid ${this.pid}]`;
    // The time is read and the line written under the tree's trace lock: lines reach the sink in time order.
    const lock = this.lock;
    const held = lock !== undefined && lockTrace(lock);
    try {
      this.k.host.log(`${who} ${this.stamp()} ${text}`);
    } finally {
      if (held) Atomics.store(lock, 0, 0);
    }
  }

  /** A Chrome trace event (one JSON object; the file is a JSON array whose closing bracket is optional). */
  event(json: string): void {
    this.k.host.appendLine?.(this.profileFd!, json + ',');
  }

  /** A complete ('X') event: a slice from `startMs` (performance.now()) lasting `ms`, on this thread's track. */
  slice(name: string, cat: string, startMs: number, ms: number, result: string): void {
    const ts = ((startMs + this.k.monoOffsetMs) * 1000).toFixed(1);
    this.event(`{"name":"${name}","cat":"${cat}","ph":"X","ts":${ts},"dur":${(ms * 1000).toFixed(1)},"pid":${this.pid},"tid":${this.k.tid},"args":{"result":${JSON.stringify(result)}}}`);
  }

  record(index: number, ms: number, failed: boolean): void {
    const s = this.summary!;
    if (this.rowTid !== this.k.tid) {
      this.rowTid = this.k.tid;
      this.summaryRow = s.row(this.pid, this.k.tid);
    }
    s.record(this.summaryRow, index, ms, failed);
  }
}

/**
 * Takes the trace lock (word 0). A holder is only ever inside one log write, so waits are short; a worker
 * terminated mid-write (a process of the tree being killed) would hold it forever, so after ~100 ms a
 * waiter writes anyway (false: it did not take the lock).
 */
function lockTrace(lock: Int32Array): boolean {
  for (let i = 0; i < 200; i++) {
    if (Atomics.compareExchange(lock, 0, 0, 1) === 0) return true;
    if (i >= 100 && mayPark()) Atomics.wait(lock, 0, 1, 1);
  }
  return false;
}

function tracerOf(k: Kernel): Tracer {
  return ((k as { tracer?: Tracer }).tracer ??= new Tracer(k));
}

/** An event line (thread start/exit, process exit) when line tracing is on. */
export function traceEvent(k: Kernel, text: string, thread = true): void {
  if (k.cfg.trace) tracerOf(k).line(text, thread);
}

/**
 * --profile: names this thread's track (and its process's) when the thread starts; `args` is the
 * process's argv, for its name.
 */
export function profileThread(k: Kernel): void {
  if (k.cfg.profileFd === undefined) return;
  const t = tracerOf(k);
  const name = JSON.stringify(`pid ${t.pid}: ${k.cfg.args.join(' ').slice(0, 80)}`);
  t.event(`{"name":"process_name","ph":"M","pid":${t.pid},"tid":${k.tid},"args":{"name":${name}}}`);
  t.event(`{"name":"thread_name","ph":"M","pid":${t.pid},"tid":${k.tid},"args":{"name":"tid ${k.tid}"}}`);
  t.event(`{"name":"thread_sort_index","ph":"M","pid":${t.pid},"tid":${k.tid},"args":{"sort_index":${k.tid}}}`);
}

const seconds = (ms: number): string => `<${(ms / 1000).toFixed(6)}>`;

function resultText(result: unknown, returnsErrno: boolean, resultKind: string): string {
  if (typeof result === 'number') {
    if (returnsErrno) return result === 0 ? '0' : `${result} E${errnoName(result)}`;
    if (resultKind === 'i32' && result < 0) return `${result} E${errnoName(-result)}`;
    return String(result);
  }
  return result === undefined ? 'void' : '?';
}

function endedText(e: unknown, name: string): string {
  if (e instanceof ThreadKilled && name.startsWith('proc_exec')) return '? +++ replaced by the new program';
  return e instanceof ProcExit ? `? +++ exit(${e.code})` : e instanceof ThreadExit ? '? +++ thread exit'
    : e instanceof ThreadKilled ? '? +++ killed (process exiting)' : `? threw ${String(e)}`;
}

/**
 * Wraps an import (already behind the syscall boundary) with a log line per call and/or the summary's
 * counters. `kind` and `resultKind` (from the table entry and the witx signature) say how to show the outcome.
 */
export function traced(k: Kernel, name: string, fn: SyscallBody, kind: SyscallKind, resultKind: 'errno' | 'none' | 'i32'): SyscallBody {
  const t = tracerOf(k);
  const short = name.slice(name.indexOf('.') + 1);
  const kinds: readonly ArgKind[] | undefined = SYSCALL_ARGS[short as keyof typeof SYSCALL_ARGS];
  const index = TraceSummary.index(short);
  const extra = (args: unknown[]): string => {
    const f = argFormatters[short];
    if (!f) return '';
    const s = f(k, args);
    return s ? ' ' + s : '';
  };
  if (kind === 'ends') {
    return function (...args: (number | bigint)[]) {
      if (t.summary) t.record(index, 0, false);
      if (t.profileFd !== undefined) t.slice(short, 'syscall', performance.now(), 0, 'ends');
      if (t.lines) t.line(`${short}(${decodeArgs(k, kinds, args, 'all', true)}) = ?`);
      return fn(...args);
    };
  }
  const returnsErrno = kind !== 'void' && resultKind === 'errno';
  const waits = kind === 'blocking' && (WAITS.has(short) || READS.has(short));
  const reads = READS.has(short);
  return function (...args: (number | bigint)[]) {
    const blocks = waits && (t.lines || t.profileFd !== undefined) && (!reads || mayWait(k, args[0] as number));
    const split = t.lines && blocks;
    if (split) t.line(`${short}(${decodeArgs(k, kinds, args, 'in', false)})${extra(args)} <unfinished ...>`);
    const t0 = performance.now();
    let result: unknown;
    let ended: unknown;
    try {
      result = fn(...args);
      return result as number;
    } catch (e) {
      ended = e ?? 'exception';
      throw e;
    } finally {
      const ms = performance.now() - t0;
      const failed = ended === undefined && typeof result === 'number' &&
        (returnsErrno ? result !== 0 : resultKind === 'i32' && result < 0);
      if (failed) {
        // Bodies that return their errno (rather than throw it) are seen here only.
        k.lastFailedCall = short;
        k.lastFailedErrno = returnsErrno ? (result as number) : -(result as number);
      }
      if (t.summary) t.record(index, ms, failed);
      if (t.profileFd !== undefined) {
        t.slice(short, blocks ? 'wait' : 'syscall', t0, ms, ended !== undefined ? 'unwound' : resultText(result, returnsErrno, resultKind));
      }
      if (t.lines) {
        const shown = ended !== undefined ? endedText(ended, short) : resultText(result, returnsErrno, resultKind);
        const ok = ended === undefined && !failed;
        if (split) {
          const outs = decodeArgs(k, kinds, args, 'out', ok);
          t.line(`<... ${short} resumed>${outs ? ' ' + outs : ''}) = ${shown} ${seconds(ms)}`);
        } else {
          t.line(`${short}(${decodeArgs(k, kinds, args, 'all', ok)})${extra(args)} = ${shown} ${seconds(ms)}`);
        }
      }
    }
  };
}
