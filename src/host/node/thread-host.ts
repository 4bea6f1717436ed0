import { builtin, fs } from './builtins.js';
import type { MessagePort } from 'node:worker_threads';
import type { ThreadHost, StdioTarget } from '../../kernel/config.js';
import type { BackendDescriptor, FsBackend } from '../../fs/backend.js';
import { openNodeBackend } from './backends.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** A memory the coordinator hands a worker for its next fork (WeftProcess.giveMemory). */
interface SpareMemory { t: 'spare-memory'; memory: WebAssembly.Memory; pages: number; maximum: number }
/** Spares a worker keeps (a shell's process forks one or two children at a time). */
const MAX_SPARES = 2;

/** Writes every byte, retrying partial writes and EAGAIN (a non-blocking pipe set up by the host). */
export function writeAllSync(fd: number, data: Uint8Array[]): number {
  if (data.length === 1) {
    // The common case (one iovec written whole): no array copies.
    const d = data[0]!;
    if (d.length === 0) return 0;
    try {
      const n = fs.writeSync(fd, d);
      if (n === d.length) return n;
      return n + writeAllSync(fd, [d.subarray(n)]);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EAGAIN') throw e;
    }
  }
  let total = 0;
  for (const d of data) total += d.length;
  let bufs = data.filter((d) => d.length > 0);
  let left = total;
  while (left > 0) {
    let n: number;
    try {
      n = bufs.length === 1 ? fs.writeSync(fd, bufs[0]!) : fs.writevSync(fd, bufs);
    } catch (e) {
      if ((e as { code?: string }).code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 1);
        continue;
      }
      throw e;
    }
    left -= n;
    while (n > 0 && bufs.length > 0) {
      const b = bufs[0]!;
      if (n >= b.length) {
        n -= b.length;
        bufs.shift();
      } else {
        bufs[0] = b.subarray(n);
        n = 0;
      }
    }
    bufs = bufs.filter((d) => d.length > 0);
  }
  return total;
}

/**
 * random_get's first calls in a thread read /dev/urandom (open, read, close: ~10 µs) instead of loading
 * node:crypto, which costs 1.5-26 ms in every Worker (each thread loads it for itself) while Rust programs
 * call random_get once per thread to seed their HashMaps. Same source: both are the kernel's CSPRNG. A thread
 * that keeps calling it loads node:crypto after URANDOM_CALLS calls (~1 µs a call from then on); a host
 * without /dev/urandom uses node:crypto from the start.
 */
const URANDOM_CALLS = 16;
let urandomCalls = 0;
/** Encodes the diagnostic lines (trace lines: one per syscall under --trace). */
const logEncoder = new TextEncoder();

function readUrandom(dst: Uint8Array): boolean {
  let fd: number;
  try {
    fd = fs.openSync('/dev/urandom', 'r');
  } catch {
    urandomCalls = URANDOM_CALLS;
    return false;
  }
  try {
    for (let at = 0; at < dst.length;) {
      const n = fs.readSync(fd, dst, at, dst.length - at, null);
      if (n <= 0) throw new Error('short read from /dev/urandom');
      at += n;
    }
    return true;
  } catch {
    urandomCalls = URANDOM_CALLS;
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/** The kernel's view of Node inside a worker (or the calling thread, for the WASI class). */
export class NodeThreadHost implements ThreadHost {
  /** Spare memories the coordinator posted to this worker while its thread runs (most recent last). */
  private readonly spares: SpareMemory[] = [];

  constructor(private readonly port: MessagePort | undefined, private readonly logFd: number) {}

  post(msg: unknown, transfer?: Transferable[]): void {
    this.port?.postMessage(msg, transfer as never);
  }

  takeMemory(pages: number, maximum: number): { memory: WebAssembly.Memory | undefined; left: number } {
    if (!this.port) return { memory: undefined, left: 0 };
    // The thread is running, so the port's listener cannot: spares wait in its queue. (Nothing else is
    // posted to a worker while its thread runs: boot data goes only to parked workers.)
    const wt = builtin('worker_threads');
    for (let m = wt.receiveMessageOnPort(this.port); m; m = wt.receiveMessageOnPort(this.port)) {
      const s = m.message as SpareMemory;
      if (s?.t === 'spare-memory') this.spares.push(s);
    }
    if (this.spares.length > MAX_SPARES) this.spares.splice(0, this.spares.length - MAX_SPARES);
    for (let i = this.spares.length - 1; i >= 0; i--) {
      const s = this.spares[i]!;
      if (s.pages === pages && s.maximum === maximum && s.memory.grow(0) === pages) {
        const memory = this.spares.splice(i, 1)[0]!.memory;
        return { memory, left: this.spares.length };
      }
    }
    return { memory: undefined, left: this.spares.length };
  }

  writeStdio(target: StdioTarget, _fd: number, data: Uint8Array[]): number {
    if (target.kind !== 'fd') return 0;
    return writeAllSync(target.fd, data);
  }

  readStdioSync(target: StdioTarget, dst: Uint8Array): number {
    if (target.kind !== 'fd') return 0;
    for (;;) {
      try {
        return fs.readSync(target.fd, dst, 0, dst.length, null);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'EAGAIN') {
          Atomics.wait(pause, 0, 0, 1);
          continue;
        }
        if (code === 'EOF') return 0;
        throw e;
      }
    }
  }

  openBackend(d: BackendDescriptor): FsBackend {
    return openNodeBackend(d);
  }

  socketWrite(fd: number, data: Uint8Array): number {
    try {
      return fs.writeSync(fd, data);
    } catch (e) {
      if ((e as { code?: string }).code === 'EAGAIN') return 0;
      throw e;
    }
  }

  randomFill(dst: Uint8Array): void {
    if (urandomCalls < URANDOM_CALLS && readUrandom(dst)) urandomCalls++;
    else builtin('crypto').randomFillSync(dst);
  }

  cpuCount(): number {
    return builtin('os').availableParallelism();
  }

  processCpuTimeNs(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  }

  threadCpuTimeNs(): number {
    // process.threadCpuUsage exists from Node 23.9; before that the process figure is the best available.
    const p = process as unknown as { threadCpuUsage?: () => { user: number; system: number } };
    const u = p.threadCpuUsage ? p.threadCpuUsage() : process.cpuUsage();
    return (u.user + u.system) * 1000;
  }

  appendLine(fd: number, line: string): void {
    try {
      writeAllSync(fd, [logEncoder.encode(line + '\n')]);
    } catch {
      // diagnostics must never take the program down
    }
  }

  log(line: string): void {
    this.appendLine(this.logFd, line);
  }
}
