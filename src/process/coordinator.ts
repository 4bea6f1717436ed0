import { memoryDescriptor, type ModuleInfo } from '../abi/wasm-module.js';
import type { KernelConfig } from '../kernel/config.js';
import { TRAP_EXIT_CODE } from '../kernel/exits.js';
import type { ToCoordinator } from '../kernel/kernel.js';
import { createChannel, recycleChannel, replyChannel } from '../kernel/shared/channel.js';
import { WASIX_MAX_SIGNAL } from '../abi/wasix.js';
import { processSignalSlot, raiseSignal } from '../kernel/signals.js';
import { WasixState } from '../kernel/shared/wasix-state.js';
import { Control, Ctl, RETIRE_TID, Slot } from '../kernel/shared/control-block.js';
import type { BootData } from './thread-runtime.js';
import type { ForkResume } from '../kernel/resume.js';
import type { ProcRequest } from '../kernel/proc-request.js';
import { StdinServer, type StdinSource } from './stdin-server.js';
import { NetState, Sock, SockKind, SockState, type SockAddr } from '../kernel/shared/net-state.js';
import { FdKind, FdTable } from '../kernel/shared/fd-table.js';
import { Filetype } from '../abi/constants.js';
import { SOCKET_RIGHTS } from '../kernel/rights.js';
import type { NetOwner, NetOwnerFactory } from './net-owner.js';
import { Errno, errnoName } from '../abi/errno.js';
import { encodeImportError, encodeImportResult, type ImportCall } from '../kernel/user-imports.js';
import type { UserImports } from './link.js';

export interface WorkerHandle {
  terminate(): Promise<unknown> | void;
  /** Delivers messages the worker already posted, synchronously, where the host can (Node). */
  drain?(): void;
  /**
   * Instead of terminate(), for a worker whose thread ended cleanly: the host may keep it for the next
   * startWorker (a process tree's next process), or terminate it.
   */
  release?(): Promise<void>;
  /** Posts a message to the worker's own port, where its thread may take it synchronously (Node). */
  give?(msg: unknown): void;
}

export interface WorkerEvents {
  message(msg: ToCoordinator): void;
  error(err: unknown): void;
  exit(): void;
}

/** What the coordinator needs from its host (Node main thread, or a browser page). */
export interface CoordinatorHost {
  startWorker(boot: BootData, events: WorkerEvents): WorkerHandle;
  /** Receives bytes of fds 1/2 whose target is 'callback'. */
  output(fd: number, data: Uint8Array): void;
  /** Diagnostics (stderr). */
  log(line: string): void;
  /** Boot a worker ahead of need, for the next startWorker (a process tree does this: a Worker boot is most of a fork's cost). */
  prewarm?(): void;
  /** Ends a worker booted ahead and not used. */
  dispose?(): void;
}

export interface ProcessOptions {
  module: WebAssembly.Module;
  info: ModuleInfo;
  kernel: Omit<KernelConfig, 'ctlSab' | 'maxThreads' | 'hasThreadStart' | 'usesWasix' | 'wasixSab' | 'netSab'>;
  /** Builds the owner of host sockets (WASIX modules); without it every network request fails. */
  net?: NetOwnerFactory | undefined;
  /** The owner only connects outward (a browser page's connect hook); bind/listen/UDP stay in-process. */
  netRemoteOnly?: boolean | undefined;
  /**
   * The process tree's network state and owner of host sockets (process/process-tree.ts): every process of a
   * tree uses these, so sockets and epolls cross fork/spawn/exec; the tree, not the process, stops the owner.
   */
  netShared?: { sab: SharedArrayBuffer; owner: NetOwner | undefined } | undefined;
  /** Listening sockets to create before the program starts (--tcp-listen), at these fds. */
  listeners?: { fd: number; addr: SockAddr }[] | undefined;
  maxThreads: number;
  stdin?: StdinSource | undefined;
  /** A process of a tree: stdin is served by the tree's (shared) server, which this process does not own. */
  stdinServer?: StdinServer | undefined;
  /** WASIX process state to start from (a forked child's copy); a fresh one when omitted. */
  wasixSab?: SharedArrayBuffer | undefined;
  /** A forked child: the copy of the parent's memory, and where its main thread resumes. */
  memory?: WebAssembly.Memory | undefined;
  resume?: ForkResume | undefined;
  /** Process requests (spawn, exec, fork, kill) from this process's threads (process/process-tree.ts). */
  onRequest?: ((m: ProcRequest) => void) | undefined;
  /** The directory a WASIX program starts in (default '/'), when no wasixSab is given. */
  cwd?: string | undefined;
  /** run()'s `imports`: functions threads call through the coordinator (kernel/user-imports.ts). */
  userImports?: UserImports | undefined;
  /** Receives what the function run() invoked returned (KernelConfig.invoke). */
  onResults?: ((values: (number | bigint)[]) => void) | undefined;
  /** Pooled workers kept ready beyond current demand. */
  spareWorkers?: number | undefined;
  idleTimeoutMs?: number | undefined;
}

/**
 * Does a program need network state: it can open sockets or epolls (16 MiB of rings, committed only as
 * touched), or is handed listeners.
 */
export function needsNet(opts: Pick<ProcessOptions, 'info' | 'listeners'>): boolean {
  return (opts.info.usesWasix && opts.info.functionImports.some((n) => /^wasix_(32|64)v1\.(sock_|epoll_|resolve$)/.test(n))) ||
    !!opts.listeners?.length;
}

/** Most free workers kept ahead of demand, however many threads live. */
const MAX_AHEAD = 4;
/** The pool trimmer's sampling period, and how many samples make its window (ms, count). */
const POOL_SAMPLE_MS = 500;
const POOL_TRIM_SAMPLES = 6;

interface WorkerRecord {
  handle: WorkerHandle;
  channel: SharedArrayBuffer;
  ready: boolean;
  /** A reply may come on the channel after the process ended (stdin, network, a user import): not recycled. */
  repliesLater?: boolean;
}

/**
 * The coordinator of one wasm process. It never blocks: it boots workers (the main thread's and the
 * pool's), serves stdin, relays callback output, and tears everything down when the process exits.
 */
export class WeftProcess {
  readonly ctl: Control;
  readonly memory: WebAssembly.Memory | undefined;
  readonly cfg: KernelConfig;
  private readonly workers: (WorkerRecord | undefined)[] = [];
  private booting = 0;
  private finished = false;
  readonly stdin: StdinServer | undefined;
  /** Stops the stdin server when it ends (the root of a tree; not a process that exec replaces). */
  ownsStdin: boolean;
  private readonly netOwner: NetOwner | undefined;
  /** Stops the owner of host sockets when it ends (not a process of a tree: the tree does). */
  private readonly ownsNet: boolean;
  private resolveExit!: (code: number) => void;
  readonly exited: Promise<number>;
  private readonly threaded: boolean;
  private readonly spare: number;

  constructor(private readonly host: CoordinatorHost, readonly opts: ProcessOptions) {
    const mi = opts.info.memoryImport;
    this.threaded = !!mi?.shared && opts.info.exports.includes('wasi_thread_start');
    const maxThreads = Math.max(1, opts.maxThreads);
    this.ctl = Control.create(maxThreads);
    Atomics.store(this.ctl.i32, Ctl.LIVE, 1);
    // A shared memory is created here and handed to every worker; a non-shared one cannot cross to a
    // worker, so the (single) main thread creates it from the same limits.
    this.memory = opts.memory ?? (mi?.shared
      ? new WebAssembly.Memory(memoryDescriptor(mi, true))
      : undefined);
    // The pipe/eventfd objects: the tree's (opts.kernel.objSab), or this process's own.
    const objSab = opts.kernel.objSab ?? (opts.info.usesWasix ? WasixState.createObjects() : undefined);
    this.cfg = {
      ...opts.kernel,
      ctlSab: this.ctl.sab,
      maxThreads,
      hasThreadStart: this.threaded,
      usesWasix: opts.info.usesWasix,
      wasixSab: opts.wasixSab ?? (objSab ? WasixState.create(objSab, opts.cwd).sab : undefined),
      objSab,
      // 16 MiB of rings (committed only as touched): only for programs that can open sockets or epolls.
      netSab: opts.netShared?.sab ?? (needsNet(opts) ? NetState.create().sab : undefined),
      netHost: !!opts.net && !opts.netRemoteOnly,
      netRemote: !!opts.net,
    };
    this.ownsNet = !opts.netShared;
    this.netOwner = opts.netShared ? opts.netShared.owner
      : this.cfg.netSab && opts.net ? opts.net(new NetState(this.cfg.netSab), (l) => host.log(l)) : undefined;
    this.ownsStdin = !opts.stdinServer;
    this.stdin = opts.stdinServer ?? (opts.stdin ? new StdinServer(opts.stdin) : undefined);
    this.spare = opts.spareWorkers ?? 1;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /**
   * Binds the preopened listening sockets (--tcp-listen) and puts them in the fd table; rejects with
   * the host error (e.g. EADDRINUSE) before any thread runs.
   */
  async openListeners(): Promise<void> {
    const list = this.opts.listeners ?? [];
    if (list.length === 0) return;
    if (!this.netOwner || !this.cfg.netSab) throw new Error('no network owner for --tcp-listen');
    const net = new NetState(this.cfg.netSab);
    const fds = new FdTable(this.cfg.fdSab);
    for (const l of list) {
      const o = net.alloc(SockKind.STREAM, l.addr.family);
      if (o < 0) throw new Error('too many sockets');
      net.setAddr(o, Sock.LOCAL, l.addr);
      const r = await new Promise<number>((resolve) => this.netOwner!.handle({ t: 'net', op: 'bind', o }, resolve));
      if (r < 0) throw new Error(`cannot listen on port ${l.addr.port}: ${errnoName(-r)}`);
      Atomics.store(net.i32, net.s(o, Sock.STATE), SockState.LISTENING);
      fds.place(l.fd, {
        kind: FdKind.SOCKET, filetype: Filetype.SOCKET_STREAM, flags: 0, rightsBase: SOCKET_RIGHTS,
        rightsInheriting: SOCKET_RIGHTS, handle: 0, backend: -1, object: o,
      });
    }
  }

  start(): Promise<number> {
    // (a program that cannot start threads, as a shell, would never use a spare: not booted)
    const pool = this.threaded && this.opts.info.spawnsThreads;
    // Read before the main thread's boot: made between the two boots, it delayed the pool's Workers behind
    // a program already running (its first burst of threads then waited for their boots).
    if (pool) this.opts.info.threadReuse();
    this.boot('main');
    if (pool) for (let n = 0; n < this.spare; n++) this.boot('pool');
    return this.exited;
  }

  private freeSlot(): number {
    for (let s = 1; s < this.ctl.layout.slots; s++) if (!this.workers[s]) return s;
    return -1;
  }

  private boot(role: 'main' | 'pool'): boolean {
    const slot = role === 'main' ? 0 : this.freeSlot();
    if (slot < 0) return false;
    const channel = createChannel();
    const boot: BootData = {
      role, slot, module: this.opts.module, memory: this.memory, channel, kernel: this.cfg,
      memoryLimits: this.opts.info.memoryImport,
      preinstantiate: !this.opts.info.hasActiveData && !this.opts.resume, idleTimeoutMs: this.opts.idleTimeoutMs ?? 10_000,
      resume: role === 'main' ? this.opts.resume : undefined,
      // (the main thread's end is its process's: its worker runs no next thread of this module)
      reuse: role === 'main' ? undefined : this.opts.info.threadReuse(),
    };
    const rec: WorkerRecord = { handle: undefined!, channel, ready: role === 'main' };
    this.workers[slot] = rec;
    if (role === 'pool') this.booting++;
    rec.handle = this.host.startWorker(boot, {
      message: (m) => this.onMessage(slot, m, rec),
      error: (err) => this.onWorkerError(slot, err, rec),
      exit: () => this.onWorkerExit(slot, rec),
    });
    return true;
  }

  /**
   * Free workers to keep beyond the queued requests: the configured spare, and more while many threads
   * live (a program that ran 8 threads at once will likely spawn a burst again).
   */
  private ahead(): number {
    const threads = Atomics.load(this.ctl.i32, Ctl.LIVE) - 1;
    return Math.max(this.spare, Math.min(MAX_AHEAD, Math.floor(threads / 8)));
  }

  /** Boots workers (in parallel) so that every queued spawn request has one, plus those kept ahead. */
  private topUp(): void {
    if (this.finished) return;
    const idle = Atomics.load(this.ctl.i32, Ctl.IDLE);
    let need = this.ctl.pending() + this.ahead() - idle - this.booting;
    while (need-- > 0 && this.boot('pool'));
    this.watchPool();
  }

  private trimTimer: ReturnType<typeof setInterval> | undefined;
  private fewestIdle = Infinity;
  private trimTicks = 0;

  /**
   * Shrinks a pool that stayed larger than its demand: while workers beyond the spare exist, samples the
   * free count every POOL_SAMPLE_MS; when the fewest free workers seen over POOL_TRIM_SAMPLES samples
   * exceeds what is kept ahead, that many workers get a retire request through the spawn queue. (Workers
   * also retire on their own after idleTimeoutMs without a thread, but wake-ups go to the longest-parked
   * worker first, so under a trickle of spawns none of them would ever be idle that long.)
   */
  private watchPool(): void {
    if (this.trimTimer !== undefined || this.finished || this.poolSize() <= this.spare) return;
    this.trimTimer = setInterval(() => {
      if (this.finished) return this.stopWatchingPool();
      this.fewestIdle = Math.min(this.fewestIdle, Atomics.load(this.ctl.i32, Ctl.IDLE));
      if (++this.trimTicks < POOL_TRIM_SAMPLES) return;
      // (and only what is still free now, with no spawn waiting)
      const idleNow = this.ctl.pending() === 0 ? Atomics.load(this.ctl.i32, Ctl.IDLE) : 0;
      const surplus = Math.min(this.fewestIdle, idleNow) - this.ahead();
      this.fewestIdle = Infinity;
      this.trimTicks = 0;
      for (let n = 0; n < surplus; n++) this.ctl.push(RETIRE_TID, 0);
      if (this.poolSize() - Math.max(0, surplus) <= this.spare) this.stopWatchingPool();
    }, POOL_SAMPLE_MS);
    (this.trimTimer as { unref?: () => void }).unref?.();
  }

  private stopWatchingPool(): void {
    if (this.trimTimer !== undefined) clearInterval(this.trimTimer);
    this.trimTimer = undefined;
    this.fewestIdle = Infinity;
    this.trimTicks = 0;
  }

  /** Pooled workers (booted or booting). */
  private poolSize(): number {
    let n = 0;
    for (let s = 1; s < this.workers.length; s++) if (this.workers[s]) n++;
    return n;
  }

  /**
   * Events carry the record of the worker they come from: a slot is reused as soon as its worker retired
   * (the retire handler boots a replacement at once), and the retired worker's late events (its 'exit'
   * after release() terminated it) must not act on its successor. Seen as: the stale exit cleared the
   * successor's record, a third worker was booted into the same slot, and a 'retired' of one of the two
   * released (terminated) the other in the middle of a guest thread (issue 20.3: connections whose
   * serving thread vanished mid-recv, 2-6 in 20,000).
   */
  private onMessage(slot: number, m: ToCoordinator, rec: WorkerRecord): void {
    // Output drained from workers during teardown still has to reach the host.
    if (this.finished) {
      if (m.t === 'stdout') this.host.output(m.fd, m.data);
      return;
    }
    switch (m.t) {
      case 'exit':
        // The main thread itself ended the process: its worker comes back free (reusable).
        if (slot === 0) this.mainExitedCleanly = true;
        void this.finish();
        return;
      case 'spawn-hint':
        this.topUp();
        return;
      case 'ready':
        if (this.workers[slot] === rec && !rec.ready) {
          rec.ready = true;
          this.booting--;
        }
        this.topUp();
        return;
      case 'retired': {
        if (this.workers[slot] !== rec) return;
        this.workers[slot] = undefined;
        void (rec.handle.release ? rec.handle.release() : rec.handle.terminate());
        // A retire request that met a burst of spawns took a worker they needed: boot one.
        this.topUp();
        return;
      }
      case 'stdin-read':
        rec.repliesLater = true;
        if (this.stdin) this.stdin.read(rec.channel, m.seq, m.max);
        return;
      case 'stdin-poll':
        rec.repliesLater = true;
        if (this.stdin) this.stdin.poll(rec.channel, m.seq, m.peek === true);
        return;
      case 'stdout':
        this.host.output(m.fd, m.data);
        return;
      case 'results':
        this.opts.onResults?.(m.values);
        return;
      case 'import':
        this.callImport(rec, m);
        return;
      case 'itimer':
        this.setIntervalTimer(m.sig, m.ms, m.repeat);
        return;
      case 'exec':
        // The main thread replaces the program: its worker comes back free for the next one.
        if (slot === 0) this.mainExitedCleanly = true;
        this.opts.onRequest?.(m);
        return;
      case 'spawn':
      case 'fork':
      case 'kill':
        this.opts.onRequest?.(m);
        return;
      case 'net': {
        rec.repliesLater = true;
        const channel = rec.channel;
        const reply = m.seq !== undefined
          ? (r: number, data?: Uint8Array) => void replyChannel(channel, m.seq!, r, data) : undefined;
        if (this.netOwner) this.netOwner.handle(m, reply);
        else reply?.(-Errno.NETUNREACH);
        return;
      }
    }
  }

  /**
   * Calls a user import for a thread and answers on its channel. The function runs here, on the thread
   * that called run(); a promise it returns is awaited (the wasm thread waits either way).
   */
  private callImport(rec: WorkerRecord, m: ImportCall): void {
    rec.repliesLater = true;
    const channel = rec.channel;
    const reply = (r: { result: number; data: Uint8Array }): void => void replyChannel(channel, m.seq, r.result, r.data);
    try {
      const fn = this.opts.userImports?.[m.module]?.[m.field];
      if (typeof fn !== 'function') throw new Error('not provided');
      const v = fn.apply({ memory: this.memory }, m.args);
      if (v !== null && typeof (v as PromiseLike<unknown>)?.then === 'function') {
        (v as PromiseLike<unknown>).then((x) => reply(encodeImportResult(x)), (e: unknown) => reply(encodeImportError(e)));
      } else {
        reply(encodeImportResult(v));
      }
    } catch (e) {
      reply(encodeImportError(e));
    }
  }

  private itimer: ReturnType<typeof setTimeout> | undefined;
  private mainExitedCleanly = false;
  /**
   * A worker was terminated with no word of when it stops (browsers): the guest memory may still be
   * written for a moment after finish() (so it must not be given to another program).
   */
  mayStillRun = false;

  /** WASIX proc_raise_interval: the coordinator owns the timer (threads have no event loop to spare). */
  private setIntervalTimer(sig: number, ms: number, repeat: boolean): void {
    if (this.itimer !== undefined) clearTimeout(this.itimer);
    this.itimer = undefined;
    if (!(ms > 0) || sig <= 0 || sig > WASIX_MAX_SIGNAL) return;
    const fire = (): void => {
      this.itimer = repeat ? setTimeout(fire, ms) : undefined;
      const guest = this.memory ? new Int32Array(this.memory.buffer) : undefined;
      raiseSignal(this.ctl, guest, processSignalSlot(this.ctl), sig);
    };
    this.itimer = setTimeout(fire, ms);
  }

  private onWorkerError(slot: number, err: unknown, rec: WorkerRecord): void {
    if (this.finished || this.workers[slot] !== rec) return; // (a retired worker's end is no guest failure)
    if (this.ctl.claimExit(TRAP_EXIT_CODE)) {
      this.host.log(`weft: thread worker ${slot} failed: ${(err as Error)?.stack ?? String(err)}`);
    }
    void this.finish();
  }

  private onWorkerExit(slot: number, rec: WorkerRecord): void {
    if (this.finished) return;
    if (this.workers[slot] !== rec) return; // retired (its slot may hold a successor already)
    this.workers[slot] = undefined;
    if (slot === 0 && !this.ctl.exiting) {
      // The main worker ended without an exit being claimed: the main thread left via thread_exit,
      // or the worker died. In the first case the last thread ends the process; otherwise fail.
      if (Atomics.load(this.ctl.i32, Ctl.MAIN_GONE) === 1) return;
      if (this.ctl.claimExit(TRAP_EXIT_CODE)) this.host.log('weft: the main thread worker exited unexpectedly');
      void this.finish();
    } else if (!rec.ready) {
      this.booting--;
    }
  }

  /** Tears down every worker and resolves with the exit code claimed in the control block. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.stopWatchingPool();
    if (this.itimer !== undefined) clearTimeout(this.itimer);
    this.itimer = undefined;
    const live = this.workers.filter((w): w is WorkerRecord => !!w);
    // Collect output already posted by threads before they are terminated.
    for (const w of live) w.handle.drain?.();
    if (this.ownsStdin) this.stdin?.stop();
    if (this.ownsNet) this.netOwner?.stop();
    // terminate() interrupts Atomics.wait, except one that starts just after the request lands (it then
    // sleeps its whole timeout). So also wake every wait the runtime itself makes, until all are gone; and
    // ask again for the end of a worker still there after 250 ms, then every second: a guest's own wait
    // (memory.atomic.wait32, futex_wait; often with no timeout) that began in that window is woken by a
    // new termination request. Seen as 2 hangs in 200 runs of proc_exit in main while a thread blocked in
    // memory.atomic.wait32, at load 20-30 (bench/stress-exit.mjs).
    const ending = new Set<WorkerHandle>();
    let ticks = 0;
    const wake = (): void => {
      this.wakeRuntimeWaits(live);
      if (ticks++ % 20 === 5) for (const h of ending) void h.terminate();
    };
    wake();
    const rewake = setInterval(wake, 50);
    try {
      await Promise.all(this.workers.map(async (w, slot) => {
        if (!w) return;
        // A worker that is running no thread (its thread ended by itself, or it is a parked pool worker,
        // woken above) returns from its run at once: the host may keep it for another process.
        const free = slot === 0 ? this.mainExitedCleanly
          : w.ready && Atomics.load(this.ctl.i32, this.ctl.slotIndex(slot, Slot.TID)) === 0;
        if (free && w.handle.release) return w.handle.release();
        ending.add(w.handle);
        try {
          // (terminate() returns nothing on browsers: the worker stops soon, but no one says when)
          const stopped = w.handle.terminate();
          if (!stopped) this.mayStillRun = true;
          await stopped;
        } finally {
          ending.delete(w.handle);
        }
      }));
    } finally {
      clearInterval(rewake);
    }
    this.workers.length = 0;
    // Every worker is gone or parked: their channels serve the next processes (unless a terminated
    // browser worker may still be running, or a reply may still come).
    if (!this.mayStillRun) for (const w of live) if (!w.repliesLater) recycleChannel(w.channel);
    this.resolveExit(Atomics.load(this.ctl.i32, Ctl.EXIT_CODE));
  }

  /** Wakes the waits of the runtime's own words: idle pool workers, sleeps, joins, channel replies. */
  private wakeRuntimeWaits(live: WorkerRecord[]): void {
    const i = this.ctl.i32;
    Atomics.store(i, Ctl.SLEEP, 1);
    Atomics.notify(i, Ctl.SLEEP);
    Atomics.notify(i, Ctl.QUEUE_SIGNAL);
    for (let s = 0; s < this.ctl.layout.slots; s++) Atomics.notify(i, this.ctl.slotIndex(s, Slot.TID));
    for (const w of live) Atomics.notify(new Int32Array(w.channel, 0, 1), 0);
  }

  /**
   * Hands the main thread's worker a spare memory for its next fork (ThreadHost.takeMemory); false when
   * the host cannot, or the process is ending.
   */
  giveMemory(memory: WebAssembly.Memory, pages: number, maximum: number): boolean {
    const w = this.workers[0];
    if (this.finished || !w?.handle.give) return false;
    w.handle.give({ t: 'spare-memory', memory, pages, maximum });
    return true;
  }

  /** Kills the process from the host side (e.g. a signal to the CLI, or SIGKILL from another process). */
  kill(code: number, sig = 0): Promise<number> {
    if (this.ctl.claimExit(code) && sig) Atomics.store(this.ctl.i32, Ctl.TERM_SIG, sig);
    void this.finish();
    return this.exited;
  }
}

