import { Errno, knownErrno } from '../abi/errno.js';
import type { FsBackend } from '../fs/backend.js';
import { ChannelClient } from './shared/channel.js';
import { Control, Ctl } from './shared/control-block.js';
import type { KernelConfig, ThreadHost } from './config.js';
import { isSentinel, ProcExit, ThreadKilled } from './exits.js';
import { FdTable, type FdEntry } from './shared/fd-table.js';
import { GuestMemory } from './memory.js';
import type { SignalDelivery } from './signals.js';
import type { StreamOps } from './streams.js';
import { Resumable } from './resume.js';
import { openDevFs } from './devices.js';
import type { ProcRequest } from './proc-request.js';
import type { NetRequest } from './net-request.js';
import type { NetState } from './shared/net-state.js';
import type { ImportCall } from './user-imports.js';

/** Messages a thread sends to the coordinator. */
export type ToCoordinator =
  | { t: 'exit'; tid: number }
  | { t: 'spawn-hint' }
  | { t: 'stdin-read'; slot: number; seq: number; max: number }
  /** peek: answer at once (STDIN_NOT_READY when nothing is buffered), for a poll that must not block. */
  | { t: 'stdin-poll'; slot: number; seq: number; peek?: boolean }
  | { t: 'stdout'; fd: number; data: Uint8Array }
  | { t: 'retired'; slot: number }
  | { t: 'ready'; slot: number }
  /** The function run() invoked returned these (before the main thread's 'exit'). */
  | { t: 'results'; values: (number | bigint)[] }
  /** A call of a user import (run()'s `imports`), answered on the thread's channel. */
  | ImportCall
  /** WASIX proc_raise_interval: raise `sig` on the main thread after `ms`, every `ms` when repeating (0 cancels). */
  | { t: 'itimer'; sig: number; ms: number; repeat: boolean }
  | ProcRequest
  /** A network operation for the owner of host sockets (process/net-owner.ts). */
  | NetRequest;

/**
 * One thread's view of the process kernel. All state that threads must agree on (fd table, exit state,
 * thread bookkeeping, filesystems) lives in shared buffers; this object only caches views of it.
 */
export class Kernel {
  readonly ctl: Control;
  readonly fds: FdTable;
  readonly chan: ChannelClient;
  mem!: GuestMemory;
  tid = 0;
  instance: WebAssembly.Instance | undefined;
  private backends: (FsBackend | undefined)[] = [];
  /** Release handlers for fd kinds owned by other modules (pipes, eventfds), run on the last close. */
  readonly releaseHooks: Partial<Record<number, (e: FdEntry) => void>> = {};
  /** read/write/readiness of fd kinds that are in-kernel streams (pipes, eventfds), by FdKind. */
  readonly streams: Partial<Record<number, StreamOps>> = {};
  /** Network state: sockets, epoll lists, the shared readiness word (WASIX modules only). */
  net: NetState | undefined;
  /** Signal delivery (WASIX modules only). */
  signals: SignalDelivery | undefined;
  /** The syscall boundary's per-kind wrappers (kernel/boundary.ts), built once per thread. */
  boundaries: Record<string, unknown> | undefined;
  private monoOffset: number | undefined;
  /**
   * The last syscall of this thread that failed, for a trap report ("after fd_write returned EBADF"). Set on
   * the error path only: errnos a body throws (kernel.fail), and under --trace also those it returns.
   */
  lastFailedCall: string | undefined;
  lastFailedErrno = 0;
  /** --trace: logs the process exit this thread claimed (kernel/trace.ts sets it). */
  onExitClaimed: ((code: number) => void) | undefined;
  /** An unexpected exception was reported (only the first one is, without --trace). */
  private reportedUnexpected = false;
  /** Asyncify stack capture (fork, setjmp/longjmp) of this thread. */
  readonly resumable = new Resumable(() => this.instance, () => this.mem?.memory);

  constructor(
    readonly cfg: KernelConfig,
    readonly host: ThreadHost,
    readonly slot: number,
    channel: SharedArrayBuffer,
  ) {
    this.ctl = new Control(cfg.ctlSab, cfg.maxThreads);
    this.fds = new FdTable(cfg.fdSab, cfg.proc?.row ?? 0);
    this.chan = new ChannelClient(channel);
  }

  /** ms to add to performance.now() to get the process-wide monotonic clock (computed on first use). */
  get monoOffsetMs(): number {
    return (this.monoOffset ??= this.cfg.clockBaseMs === undefined ? 0 : performance.timeOrigin - this.cfg.clockBaseMs);
  }

  setMemory(memory: WebAssembly.Memory): void {
    this.mem = new GuestMemory(memory);
  }

  backend(index: number): FsBackend {
    let b = this.backends[index];
    if (!b) {
      const p = this.cfg.preopens[index];
      if (!p) throw new Error(`no preopen ${index}`);
      // /dev is built here, not by the host: it answers from this process's fd table
      b = this.backends[index] = p.backend.kind === 'dev' ? openDevFs(this, p.backend) : this.host.openBackend(p.backend);
    }
    return b;
  }

  /** This thread's runtime ends (or pauses): each backend frees what it holds for the thread (FsBackend.release). */
  releaseBackends(): void {
    for (const b of this.backends) {
      try {
        b?.release?.();
      } catch {
        // nothing to free any more
      }
    }
  }

  /** Process-wide monotonic time in ms (fractional). */
  monotonicMs(): number {
    return performance.now() + this.monoOffsetMs;
  }

  /** Unwinds this thread when the process is already exiting. */
  checkAlive(): void {
    if (Atomics.load(this.ctl.i32, 0) !== 0) throw new ThreadKilled();
  }

  /** proc_exit: first exit wins; every thread is torn down by the coordinator. */
  exit(code: number): never {
    if (this.ctl.claimExit(code)) {
      // Before the coordinator hears of the exit: it terminates this worker soon after.
      this.onExitClaimed?.(code);
      this.host.post({ t: 'exit', tid: this.tid } satisfies ToCoordinator);
      throw new ProcExit(code);
    }
    throw new ThreadKilled();
  }

  /**
   * Converts a failure inside a syscall to its errno; sentinels keep unwinding. An unexpected exception
   * (not a WasiError, not a known host error code) becomes EIO, and the first one of the thread is
   * reported with the syscall's name on the diagnostics stream (stderr), every one under --trace.
   */
  fail(e: unknown, syscall?: string): number {
    if (isSentinel(e)) throw e;
    let errno = knownErrno(e);
    if (errno === undefined) {
      if (!this.reportedUnexpected || this.cfg.trace) this.reportUnexpected(e, syscall);
      errno = Errno.IO;
    }
    this.lastFailedCall = syscall;
    this.lastFailedErrno = errno;
    return errno;
  }

  private reportUnexpected(e: unknown, syscall: string | undefined): void {
    const first = !this.reportedUnexpected;
    this.reportedUnexpected = true;
    const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    const what = text.split('\n').slice(0, this.cfg.trace ? 20 : 3).join('\n');
    this.host.log(`weft: [tid ${this.tid}] unexpected exception in ${syscall ?? 'a syscall'}, returned EIO` +
      `${first && !this.cfg.trace ? ' (later ones are logged with --trace)' : ''}: ${what}`);
  }

  /**
   * Sleeps the calling thread. Interruptible by Worker.terminate(), and woken by the coordinator when the
   * process ends (it sets and notifies Ctl.SLEEP), which also covers a terminate() that lands just before
   * the wait starts.
   */
  sleepMs(ms: number): void {
    if (ms > 0) Atomics.wait(this.ctl.i32, Ctl.SLEEP, 0, ms);
  }

  /** Asks the coordinator to serve a request and waits for the reply; undefined on timeout. */
  request(msg: { t: string; [k: string]: unknown }, timeoutMs = Infinity): number | undefined {
    const seq = this.chan.begin();
    this.host.post({ ...msg, slot: this.slot, seq });
    return this.chan.wait(seq, timeoutMs);
  }
}
