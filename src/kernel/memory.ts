import { Errno, WasiError } from '../abi/errno.js';
import { Iovec } from '../abi/layouts.js';

/**
 * Bounds-checked access to guest memory. Views are rebuilt only when the memory has grown
 * (a grown memory hands out a new buffer object), so the common case is one identity check.
 * Every accessor takes guest pointers as given by wasm (i32, possibly negative) and treats them as u32;
 * anything out of bounds throws WasiError(EFAULT), which the syscall boundary turns into the errno.
 */
export class GuestMemory {
  private buf: ArrayBuffer | SharedArrayBuffer;
  u8!: Uint8Array;
  dv!: DataView;
  /** Word view for futexes; only when the memory is shared (Atomics.wait needs a shared buffer). */
  i32: Int32Array | undefined;

  constructor(readonly memory: WebAssembly.Memory) {
    this.buf = memory.buffer;
    this.rebuild();
  }

  private rebuild(): void {
    this.buf = this.memory.buffer;
    this.u8 = new Uint8Array(this.buf);
    this.dv = new DataView(this.buf);
    this.i32 = typeof SharedArrayBuffer !== 'undefined' && this.buf instanceof SharedArrayBuffer ? new Int32Array(this.buf) : undefined;
  }

  /**
   * Current views, refreshed after memory.grow. Call once per syscall before using u8/dv. Without reading
   * `memory.buffer`, an API getter that costs more than a whole clock_time_get body: a grown non-shared
   * memory detaches its old buffer (its views then have length 0), and a grown shared one keeps it, valid
   * up to its old length, while check() refreshes the views for any access past that (grownElsewhere).
   */
  sync(): this {
    if (this.u8.byteLength === 0 && !this.i32) this.rebuild();
    return this;
  }

  /** The memory's current size (not the views': those of a shared memory catch up on demand). */
  get size(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * The offset of [ptr, ptr + len) in guest memory; EFAULT unless it fits. `len` is a guest u32 (an i32 from
   * wasm, possibly negative) or a product of one, which can exceed 2^32 and is taken whole.
   */
  check(ptr: number, len: number): number {
    const p = ptr >>> 0;
    const end = p + (len < 0 ? len >>> 0 : len);
    if (end > this.u8.byteLength && !this.grownElsewhere(end)) throw new WasiError(Errno.FAULT);
    return p;
  }

  /**
   * Makes memory grown by another thread visible to this one. V8 updates other agents' view of a grown
   * shared memory lazily (both `memory.buffer` and the instance's bounds for bulk memory ops; seen in
   * Node 20 under load, and reported for Chromium by emnapi and wasm-util users); `memory.grow(0)` in
   * this agent brings it up to date. Called at thread entry and on the out-of-bounds path before EFAULT.
   */
  refresh(): void {
    if (!this.i32) return; // not shared: a grow anywhere is a grow here
    this.memory.grow(0);
    if (this.memory.buffer !== this.buf) this.rebuild();
  }

  /** Out-of-bounds path of check(): true when the access fits once growth elsewhere is visible. */
  private grownElsewhere(end: number): boolean {
    if (!this.i32) return false;
    this.refresh();
    return end <= this.u8.byteLength;
  }

  /** Aligned pointer check: WASI structs must be naturally aligned. */
  checkAligned(ptr: number, len: number, align: number): number {
    const p = this.check(ptr, len);
    if (p & (align - 1)) throw new WasiError(Errno.INVAL);
    return p;
  }

  bytes(ptr: number, len: number): Uint8Array {
    const p = this.check(ptr, len);
    return this.u8.subarray(p, p + (len >>> 0));
  }

  // Each accessor checks before it reads this.dv: a check may refresh the views (see refresh()).
  getU32(ptr: number): number {
    const p = this.check(ptr, 4);
    return this.dv.getUint32(p, true);
  }
  setU32(ptr: number, v: number): void {
    const p = this.check(ptr, 4);
    this.dv.setUint32(p, v >>> 0, true);
  }
  setU16(ptr: number, v: number): void {
    const p = this.check(ptr, 2);
    this.dv.setUint16(p, v, true);
  }
  setU8(ptr: number, v: number): void {
    const p = this.check(ptr, 1);
    this.dv.setUint8(p, v);
  }
  getU64(ptr: number): bigint {
    const p = this.check(ptr, 8);
    return this.dv.getBigUint64(p, true);
  }
  setU64(ptr: number, v: bigint): void {
    const p = this.check(ptr, 8);
    this.dv.setBigUint64(p, v, true);
  }
  /** Writes a non-negative integer below 2^53 as u64 without allocating a BigInt. */
  setU64n(ptr: number, v: number): void {
    const p = this.check(ptr, 8);
    this.dv.setUint32(p, v % 0x100000000, true);
    this.dv.setUint32(p + 4, Math.floor(v / 0x100000000), true);
  }

  /** Reads an iovec/ciovec array, returning checked subarrays of guest memory. */
  iovecs(iovsPtr: number, iovsLen: number): Uint8Array[] {
    const n = iovsLen >>> 0;
    const base = this.check(iovsPtr, n * Iovec.size); // an array that does not fit is EFAULT, not a huge loop
    const out = new Array<Uint8Array>(n);
    for (let i = 0; i < n; i++) {
      const buf = this.dv.getUint32(base + i * Iovec.size + Iovec.buf, true);
      const len = this.dv.getUint32(base + i * Iovec.size + Iovec.len, true);
      out[i] = this.bytes(buf, len);
    }
    return out;
  }

  string(ptr: number, len: number): Uint8Array {
    return this.bytes(ptr, len);
  }
}
