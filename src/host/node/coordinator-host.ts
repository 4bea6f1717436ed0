import type { MessagePort, Worker } from 'node:worker_threads';
import { builtin, fs } from './builtins.js';
import type { ToCoordinator } from '../../kernel/kernel.js';
import type { CoordinatorHost, WorkerEvents, WorkerHandle } from '../../process/coordinator.js';
import type { BootData } from '../../process/thread-runtime.js';
import type { StdinSource } from '../../process/stdin-server.js';
import { writeAllSync } from './thread-host.js';

// The worker's module graph bundled into one file (tools/bundle.mjs) boots ~45 ms faster per worker.
// (Literal URLs: tools/bundle.mjs rewrites them when it bundles this module into an entry point.)
const bundledWorker = new URL('./worker.bundle.js', import.meta.url);
const workerUrl = fs.existsSync(bundledWorker) ? bundledWorker : new URL('./worker.js', import.meta.url);

/** How long a finished process's main worker may take to report itself free before it is terminated (ms). */
const RECYCLE_GRACE_MS = 100;
/** Delay before booting a new standby worker after the last one was taken (ms). */
const PREWARM_DELAY_MS = 40;

export interface NodeCoordinatorOptions {
  logFd: number;
  output: (fd: number, data: Uint8Array) => void;
}

/** Boots wasm threads as worker_threads; messages come over a private MessagePort so they can be drained. */
export class NodeCoordinatorHost implements CoordinatorHost {
  /** A worker booted ahead (prewarm), waiting for its boot data. */
  private standby: { worker: Worker; port1: MessagePort } | undefined;
  private disposed = false;

  constructor(private readonly opts: NodeCoordinatorOptions) {}

  prewarm(): void {
    if (this.standby || this.disposed) return;
    this.standby = this.createWorker(undefined);
    this.standby.worker.unref();
  }

  dispose(): void {
    this.disposed = true;
    const s = this.standby;
    this.standby = undefined;
    if (s) {
      s.port1.close();
      void s.worker.terminate();
    }
  }

  private createWorker(boot: BootData | undefined): { worker: Worker; port1: MessagePort } {
    const wt = builtin('worker_threads');
    const { port1, port2 } = new wt.MessageChannel();
    const worker = new wt.Worker(workerUrl, {
      workerData: { boot, port: port2, logFd: this.opts.logFd },
      transferList: [port2],
      // The worker script is plain compiled JS and V8 flags are process-wide already; inheriting the
      // host's execArgv would make Node reject V8 flags such as --max-old-space-size (ERR_WORKER_INVALID_EXEC_ARGV).
      execArgv: [],
      stdout: false,
      stderr: false,
      // Host fds opened by one wasm thread belong to the process, not to the worker that opened them:
      // Node would otherwise close them when that worker exits.
      trackUnmanagedFds: false,
    });
    return { worker, port1 };
  }

  startWorker(boot: BootData, events: WorkerEvents): WorkerHandle {
    const fromStandby = this.standby;
    let w = fromStandby;
    if (w) {
      this.standby = undefined;
      w.worker.ref();
      w.port1.postMessage({ boot });
      // Boot the next one a little later: a short-lived process gives this worker back first (release).
      setTimeout(() => this.prewarm(), PREWARM_DELAY_MS).unref();
    } else {
      w = this.createWorker(boot);
    }
    const { worker, port1 } = w;
    // A standby-born worker says 'parked' when its thread has ended cleanly; it can then be reused.
    let parked = false;
    let onParked: (() => void) | undefined;
    const deliver = (m: ToCoordinator | { t: 'parked' }): void => {
      if (m.t === 'parked') {
        parked = true;
        onParked?.();
      } else events.message(m);
    };
    port1.on('message', deliver);
    worker.on('error', (e) => events.error(e));
    worker.on('exit', () => events.exit());
    const terminate = async (): Promise<void> => {
      port1.close();
      await worker.terminate();
    };
    const handle: WorkerHandle = {
      terminate,
      drain: () => {
        for (let m = builtin('worker_threads').receiveMessageOnPort(port1); m; m = builtin('worker_threads').receiveMessageOnPort(port1)) deliver(m.message as ToCoordinator);
      },
    };
    if (!fromStandby) return handle;
    // Ends the handle's use by this process: the worker becomes the standby again once it is parked
    // (within a short grace period), else it is terminated.
    handle.release = () => new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const adopt = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        onParked = undefined;
        port1.removeAllListeners('message');
        worker.removeAllListeners('error');
        worker.removeAllListeners('exit');
        if (this.disposed || this.standby) {
          void terminate().then(() => resolve());
          return;
        }
        worker.unref();
        this.standby = { worker, port1 };
        resolve();
      };
      if (parked) return adopt();
      onParked = adopt;
      timer = setTimeout(() => {
        onParked = undefined;
        void terminate().then(() => resolve());
      }, RECYCLE_GRACE_MS);
    });
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
