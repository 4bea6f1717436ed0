import type { MessagePort, Worker } from 'node:worker_threads';
import { builtin, fs } from './builtins.js';
import type { ToCoordinator } from '../../kernel/kernel.js';
import type { CoordinatorHost, WorkerEvents, WorkerHandle } from '../../process/coordinator.js';
import type { BootData } from '../../process/thread-runtime.js';
import type { StdinSource } from '../../process/stdin-server.js';
import { writeAllSync } from './thread-host.js';
import { bootWorker } from './worker-script.js';
import { heldFdsBuffer, releaseThread } from './held-fds.js';

/** How long a worker whose thread is ending may take to report itself free before it is terminated (ms). */
const RECYCLE_GRACE_MS = 500;
/**
 * Delay before booting a standby worker after one was taken while others are left (ms): a short-lived
 * process gives its worker back first, and a boot costs tens of ms of CPU. With none left: at once.
 */
const REFILL_DELAY_MS = 250;
/** Standby workers a process tree boots ahead (a pipeline starts several processes at once). */
const TREE_STANDBY = 2;
/**
 * Released workers a process tree keeps, beyond those it boots ahead: a shell's `echo $i | cat` inside
 * `$(...)` has three processes alive at once; keeping only two terminated one worker an iteration and
 * booted another (tens of ms of CPU each, on the critical path of a 2-core machine). Idle, ~10 MB each.
 */
const TREE_KEEP = 4;
/**
 * A thread worker's young generation stays at V8's smallest (two 1 MiB semi-spaces; V8 otherwise grows
 * them to 2 MiB and more under a thread's syscall traffic). Ending a Worker frees every 256 KiB heap
 * chunk on its own, at its own random address (munmap, page-table frees, TLB shootdowns: most of the
 * time a process with 200 threads takes to end, issue 20.6); the cap leaves ~36 mappings per Worker
 * instead of ~44 and cuts its tear-down CPU by ~20%. The old generation keeps V8's default: a small one
 * could run out of memory on a guest's large directory listing or trace.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2 };

export interface NodeCoordinatorOptions {
  logFd: number;
  output: (fd: number, data: Uint8Array) => void;
}

interface NodeWorker {
  worker: Worker;
  port1: MessagePort;
  /** Loaded and listening (a standby says so once; a released worker was). */
  ready: boolean;
}

/**
 * Boots wasm threads as worker_threads; messages come over a private MessagePort so they can be drained.
 * Every worker can run one thread after another (worker.ts): a worker whose thread ended by itself is
 * released rather than terminated, and kept as a standby for the next startWorker while fewer than the
 * standby capacity are kept (process trees ask for it with prewarm(): a Worker boot is most of a fork's or
 * an exec's cost), else terminated.
 */
export class NodeCoordinatorHost implements CoordinatorHost {
  /** Workers booted ahead or given back, waiting for boot data (most recent last). */
  private readonly standby: NodeWorker[] = [];
  private capacity = 0;
  private refill: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(private readonly opts: NodeCoordinatorOptions) {}

  /** A process tree asks for standby workers (on each of its requests: only the first fills the pool). */
  prewarm(): void {
    if (this.disposed || this.capacity >= TREE_STANDBY) return;
    this.capacity = TREE_STANDBY;
    this.fill();
  }

  /** Boots standby workers up to the capacity (usable at once: boot data waits on the port until it listens). */
  private fill(): void {
    while (!this.disposed && this.standby.length < this.capacity) this.bootStandby();
  }

  private bootStandby(): void {
    const w = this.createWorker(undefined);
    w.worker.unref();
    w.port1.once('message', () => (w.ready = true));
    this.standby.push(w);
  }

  /** Boots the run's first worker before its boot data exists (the module is still being compiled). */
  bootFirst(): void {
    if (!this.disposed && this.standby.length === 0) this.bootStandby();
  }

  /** How many standby workers to keep when one is given back (none for a run that is no process tree). */
  private keep(): number {
    return this.capacity > 0 ? Math.max(this.capacity, TREE_KEEP) : 0;
  }

  /** The standby to use: the most recent one that is ready, else the oldest (booting longest). */
  private takeStandby(): NodeWorker | undefined {
    for (let i = this.standby.length - 1; i >= 0; i--) {
      if (this.standby[i]!.ready) return this.standby.splice(i, 1)[0];
    }
    return this.standby.shift();
  }

  dispose(): void {
    this.disposed = true;
    this.capacity = 0;
    if (this.refill !== undefined) clearTimeout(this.refill);
    for (const s of this.standby.splice(0)) {
      s.port1.close();
      void s.worker.terminate();
    }
  }

  private createWorker(boot: BootData | undefined): NodeWorker {
    const { port1, port2 } = new (builtin('worker_threads').MessageChannel)();
    const worker = bootWorker({ boot, port: port2, logFd: this.opts.logFd, heldFds: heldFdsBuffer() }, {
      transferList: [port2],
      // The worker script is plain compiled JS and V8 flags are process-wide already; inheriting the
      // host's execArgv would make Node reject V8 flags such as --max-old-space-size (ERR_WORKER_INVALID_EXEC_ARGV).
      execArgv: [],
      stdout: false,
      stderr: false,
      // Host fds opened by one wasm thread belong to the process, not to the worker that opened them:
      // Node would otherwise close them when that worker exits.
      trackUnmanagedFds: false,
      resourceLimits: WORKER_LIMITS,
    });
    // Whatever the worker still held for itself when it ended (killed mid-guest: no clean-up ran there) is
    // closed here. Listeners are removed one by one elsewhere (release), so this one stays.
    const tid = worker.threadId;
    worker.on('exit', () => releaseThread(tid));
    return { worker, port1, ready: false };
  }

  startWorker(boot: BootData, events: WorkerEvents): WorkerHandle {
    let w = this.takeStandby();
    if (w) {
      w.port1.removeAllListeners('message');
      w.worker.ref();
      w.port1.postMessage({ boot });
      if (this.standby.length === 0) this.fill();
      else if (this.standby.length < this.capacity && this.refill === undefined) {
        this.refill = setTimeout(() => {
          this.refill = undefined;
          this.fill();
        }, REFILL_DELAY_MS);
        this.refill.unref();
      }
    } else {
      w = this.createWorker(boot);
    }
    const { worker, port1 } = w;
    // The worker says 'parked' each time its thread has ended by itself: it can then take other boot data.
    let parked = false;
    let onParked: (() => void) | undefined;
    const deliver = (m: ToCoordinator | { t: 'parked' | 'listening' }): void => {
      if (m.t === 'listening') return; // a standby taken before it said it was loaded
      if (m.t === 'parked') {
        parked = true;
        onParked?.();
      } else events.message(m as ToCoordinator);
    };
    port1.on('message', deliver);
    const onError = (e: Error): void => events.error(e);
    const onExit = (): void => events.exit();
    worker.on('error', onError);
    worker.on('exit', onExit);
    const terminate = async (): Promise<void> => {
      port1.close();
      await worker.terminate();
    };
    const handle: WorkerHandle = {
      terminate,
      give: (msg) => port1.postMessage(msg),
      drain: () => {
        for (let m = builtin('worker_threads').receiveMessageOnPort(port1); m; m = builtin('worker_threads').receiveMessageOnPort(port1)) deliver(m.message as ToCoordinator);
      },
      // Ends the handle's use by this process: once parked (within a grace period), the worker becomes a
      // standby if there is room, else it is terminated.
      release: () => new Promise<void>((resolve) => {
        // No room for it (a run that is no process tree keeps no standby): no need to wait for it to park.
        if (this.disposed || (this.standby.length >= this.keep() && this.standby.every((w) => w.ready))) {
          void terminate().then(() => resolve());
          return;
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const adopt = (): void => {
          if (timer !== undefined) clearTimeout(timer);
          onParked = undefined;
          port1.removeAllListeners('message');
          worker.removeListener('error', onError);
          worker.removeListener('exit', onExit);
          if (this.standby.length >= this.keep() && !this.disposed) {
            // Full: a worker that is ready beats one still booting.
            const i = this.standby.findIndex((s) => !s.ready);
            if (i >= 0) {
              const [booting] = this.standby.splice(i, 1);
              booting!.port1.close();
              void booting!.worker.terminate();
            }
          }
          if (this.disposed || this.standby.length >= this.keep()) {
            void terminate().then(() => resolve());
            return;
          }
          worker.unref();
          this.standby.push({ worker, port1, ready: true });
          resolve();
        };
        if (parked) return adopt();
        onParked = adopt;
        timer = setTimeout(() => {
          onParked = undefined;
          void terminate().then(() => resolve());
        }, RECYCLE_GRACE_MS);
      }),
    };
    return handle;
  }

  output(fd: number, data: Uint8Array): void {
    this.opts.output(fd, data);
  }

  log(line: string): void {
    try {
      writeAllSync(this.opts.logFd, [new TextEncoder().encode(line + '\n')]);
    } catch {
      // ignore
    }
  }
}

/** Reads a pipe or TTY asynchronously on the coordinator (never in a wasm thread). */
export function nodeStdinSource(fd: number): StdinSource {
  let stream: NodeJS.ReadableStream & { pause(): unknown; destroy?(): unknown; unref?(): unknown; removeAllListeners(): unknown };
  return {
    start(onData, onEnd, onError) {
      const { net, tty } = { net: builtin('net'), tty: builtin('tty') };
      stream = fd === 0 ? process.stdin : tty.isatty(fd) ? new tty.ReadStream(fd) : new net.Socket({ fd, readable: true, writable: false });
      stream.on('data', (b: Buffer) => onData(new Uint8Array(b.buffer, b.byteOffset, b.length)));
      stream.on('end', onEnd);
      stream.on('error', onError);
    },
    stop() {
      if (!stream) return;
      stream.removeAllListeners();
      stream.pause();
      if (stream === process.stdin) (stream as unknown as { unref?: () => void }).unref?.();
      else stream.destroy?.();
    },
  };
}

/**
 * What a host fd is, to pick how the kernel reaches it. Without `detectTty` (which loads node:tty, ~5 ms)
 * a character device counts as a terminal unless it is one of Linux's memory devices (/dev/null, /dev/zero,
 * major 1): isatty() must say 0 for those, as under node:wasi, and needs no exact answer otherwise.
 */
export function describeHostFd(fd: number, detectTty = true): { file: boolean; tty: boolean; chardev: boolean } {
  try {
    const st = fs.fstatSync(fd);
    const chardev = st.isCharacterDevice();
    const memDevice = process.platform === 'linux' && ((st.rdev >>> 8) & 0xfff) === 1;
    const tty = chardev && (detectTty ? builtin('tty').isatty(fd) : !memDevice);
    return { file: st.isFile(), tty, chardev };
  } catch {
    return { file: false, tty: false, chardev: false };
  }
}
