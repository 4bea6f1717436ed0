/** The wasm signature of one syscall import, as the witx files lower it. */
export interface SyscallSignature {
  readonly params: readonly ('i32' | 'i64')[];
  /** 'errno': an i32 errno; 'none': no result; 'i32': a plain value (wasi thread-spawn: tid or -errno). */
  readonly result: 'errno' | 'none' | 'i32';
}
