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

  /** Current views, refreshed after memory.grow. Call once per syscall before using u8/dv. */
  sync(): this {
    if (this.memory.buffer !== this.buf) this.rebuild();
    return this;
  }

  get size(): number {
    return this.u8.byteLength;
  }

  check(ptr: number, len: number): number {
    const p = ptr >>> 0;
    if (p + (len >>> 0) > this.u8.byteLength) throw new WasiError(Errno.FAULT);
    return p;
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

  getU32(ptr: number): number {
    return this.dv.getUint32(this.check(ptr, 4), true);
  }
  setU32(ptr: number, v: number): void {
    this.dv.setUint32(this.check(ptr, 4), v >>> 0, true);
  }
  setU16(ptr: number, v: number): void {
    this.dv.setUint16(this.check(ptr, 2), v, true);
  }
  setU8(ptr: number, v: number): void {
    this.dv.setUint8(this.check(ptr, 1), v);
  }
  getU64(ptr: number): bigint {
    return this.dv.getBigUint64(this.check(ptr, 8), true);
  }
  setU64(ptr: number, v: bigint): void {
    this.dv.setBigUint64(this.check(ptr, 8), v, true);
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
    // An array that does not fit in memory is EFAULT, not a huge loop.
    if (n > this.u8.byteLength / Iovec.size) throw new WasiError(Errno.FAULT);
    const base = this.check(iovsPtr, n * Iovec.size);
    const out: Uint8Array[] = new Array(n);
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
