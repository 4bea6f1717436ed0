/**
 * The record of host fds that threads hold for themselves (DirCache's verified directories, hostfs-guard.ts),
 * shared by every thread of the Node process, so that none outlives its thread. Node fds belong to the
 * process: a Worker's are not closed when it ends (weft's are created with `trackUnmanagedFds: false`), and
 * a Worker terminated in the middle of guest code runs no clean-up of its own. So each held fd is listed
 * here with the Node threadId of its holder, and whoever sees a thread end closes what it left:
 *  - the thread itself, when its runtime ends (FsBackend.release, through Kernel.releaseBackends);
 *  - the thread that created a Worker, at its 'exit' event (releaseThread; coordinator-host.ts), which
 *    covers a termination mid-guest. A Worker weft did not create holds none (holdFd).
 * A row is [holder threadId + 1, fd + 1] (0 = free). A holder writes only its own rows; another thread
 * touches them only once the holder is gone. Rows are cleared before the fd is closed (a thread ended in
 * between leaks that one fd; it never lets a sweep close a number the process reused).
 */
import { builtin, fs } from './builtins.js';

/** Rows of the record (a thread holds at most HELD_MAX + 1 per preopen: hostfs-guard.ts). */
const ROWS = 4096;

let rows: Int32Array | undefined;
let me = -1;
/** Whether a thread that ends is swept here: the main thread (it ends with the process), or a Worker weft created. */
let swept: boolean | undefined;

function table(): Int32Array {
  if (rows === undefined) rows = new Int32Array(new SharedArrayBuffer(ROWS * 8));
  if (me < 0) me = builtin('worker_threads').threadId + 1;
  return rows;
}

/** The record's buffer, to hand to a Worker this thread creates (adoptHeldFds in it). */
export function heldFdsBuffer(): SharedArrayBuffer {
  return table().buffer as SharedArrayBuffer;
}

/** In a Worker: use the record of the thread that created it (which sweeps it at the Worker's exit). */
export function adoptHeldFds(sab: SharedArrayBuffer): void {
  rows = new Int32Array(sab);
  swept = true;
}

/**
 * Records `fd` as held by this thread; returns its row, or -1 when the record is full (the caller then
 * closes the fd at once instead of holding it).
 */
export function holdFd(fd: number): number {
  // A Worker weft did not create (an addon's, running weft/napi's WASI) may end with no one to sweep it:
  // it holds nothing (its caches check by lstat, as without held fds).
  swept ??= builtin('worker_threads').isMainThread;
  if (!swept) return -1;
  const t = table();
  for (let r = 0; r < ROWS; r++) {
    if (t[2 * r] === 0 && Atomics.compareExchange(t, 2 * r, 0, me) === 0) {
      Atomics.store(t, 2 * r + 1, fd + 1);
      return r;
    }
  }
  return -1;
}

/** Closes a held fd and frees its row (cleared first: see the top of the file). */
export function dropFd(row: number, fd: number): void {
  const t = table();
  if (row >= 0) Atomics.store(t, 2 * row + 1, 0);
  try {
    fs.closeSync(fd);
  } catch {
    // already gone
  }
  if (row >= 0) Atomics.store(t, 2 * row, 0);
}

/**
 * A thread of this process ended (`threadId`: Node's, captured while it ran; never the caller's own):
 * closes the fds it still held. Returns how many.
 */
export function releaseThread(threadId: number): number {
  if (rows === undefined) return 0;
  const t = rows;
  const owner = threadId + 1;
  let n = 0;
  for (let r = 0; r < ROWS; r++) {
    if (Atomics.load(t, 2 * r) !== owner) continue;
    const fd = Atomics.exchange(t, 2 * r + 1, 0) - 1;
    if (fd >= 0) {
      n++;
      try {
        fs.closeSync(fd);
      } catch {
        // already gone
      }
    }
    Atomics.store(t, 2 * r, 0);
  }
  return n;
}

/** Rows in use (tests). */
export function heldFdCount(): number {
  if (rows === undefined) return 0;
  let n = 0;
  for (let r = 0; r < ROWS; r++) if (Atomics.load(rows, 2 * r + 1) !== 0) n++;
  return n;
}
