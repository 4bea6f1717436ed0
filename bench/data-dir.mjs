// Where the benchmarks put the files their programs work on: WEFT_BENCH_TMP, else /dev/shm (tmpfs) when it
// is there, else the OS temp dir. On the shared VM the benchmarks were recorded on, the disk's metadata
// operations are slow and noisy (mkdir + rmdir ~2.4 ms, creating a small file ~0.5 ms on ext4, against 11
// and 19 µs on tmpfs), which would hide the runtimes' own costs that the groups compare.
import fs from 'node:fs';
import os from 'node:os';

export function benchTmp() {
  if (process.env.WEFT_BENCH_TMP) return process.env.WEFT_BENCH_TMP;
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}
