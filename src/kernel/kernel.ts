import { Errno, toErrno } from '../abi/errno.js';
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
import type { ProcRequest } from './proc-request.js';
import type { NetRequest } from './net-request.js';
import type { NetState } from './shared/net-state.js';

/** Messages a thread sends to the coordinator. */
export type ToCoordinator =
  | { t: 'exit'; tid: number }
  | { t: 'spawn-hint' }
  | { t: 'stdin-read'; slot: number; seq: number; max: number }
  | { t: 'stdin-poll'; slot: number; seq: number }
  | { t: 'stdout'; fd: number; data: Uint8Array }
  | { t: 'retired'; slot: number }
  | { t: 'ready'; slot: number }
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
  /** The syscall boundary's per-kind helpers (kernel/imports.ts), built once per thread. */
  boundaries: Record<string, unknown> | undefined;
  private monoOffset: number | undefined;
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
      b = this.backends[index] = this.host.openBackend(p.backend);
    }
    return b;
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
      this.host.post({ t: 'exit', tid: this.tid } satisfies ToCoordinator);
      throw new ProcExit(code);
    }
    throw new ThreadKilled();
  }

  /** Converts a failure inside a syscall to its errno; sentinels keep unwinding. */
  fail(e: unknown): number {
    if (isSentinel(e)) throw e;
    const errno = toErrno(e);
    if (errno === Errno.IO && this.cfg.trace) this.host.log(`weft: [tid ${this.tid}] host error: ${String(e)}`);
    return errno;
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
