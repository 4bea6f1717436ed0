// The "proc" group of bench/run.mjs: process creation latency, fork + waitpid and posix_spawn + waitpid of a
// child that exits at once (bench/programs/c/proc_bench.c), weft's CLI against the native gcc/glibc build
// of the same source in the same run (ratios are weft / native).
import fs from 'node:fs';
import path from 'node:path';
import { bigProgramSource } from './big-program.mjs';
import { buildC } from './build.mjs';

export const PROC = { pairs: 100 };
const T = { cold: 80, p50: 81, min: 82, p90: 83 };

export function defineProc({ def, node, weftCli }) {
  const { wasm, native } = buildC('proc_bench', { asyncify: true });
  const dir = path.dirname(wasm);
  const first = (tag) => (l) => l[tag]?.[0] / 1e3;
  const metrics = (l) => ({ cold: first(T.cold)(l), p50: first(T.p50)(l), p90: first(T.p90)(l), min: first(T.min)(l) });
  for (const mode of ['fork', 'spawn']) {
    // the program finds itself in its filesystem view: the build dir preopened as /bench
    const guestSelf = `/bench/${path.basename(wasm)}`;
    def(`proc${mode}`, 'weft', 'weft run (CLI), wasix-libc build (asyncified)',
      node([], weftCli, 'run', '--dir', `${dir}::/bench`, wasm, mode, String(PROC.pairs), guestSelf), metrics);
    def(`proc${mode}`, 'native', 'native: gcc -O2 (glibc)', [native, mode, String(PROC.pairs), native], metrics);
  }
  // fork + exec of a ~1 MB program (generated, bench/wasix/big-program.mjs) + exit + waitpid: a shell's
  // external command. The program sits beside proc_bench in the build dir (preopened as /bench).
  const big = buildC('big_prog', { src: bigProgramSource(path.dirname(wasm)) });
  const bigKb = Math.round(fs.statSync(big.wasm).size / 1024);
  def('procforkexec', 'weft', 'weft run (CLI), wasix-libc build (asyncified)',
    node([], weftCli, 'run', '--dir', `${dir}::/bench`, wasm, 'forkexec', String(PROC.pairs), `/bench/${path.basename(big.wasm)}`), metrics);
  def('procforkexec', 'native', 'native: gcc -O2 (glibc)', [native, 'forkexec', String(PROC.pairs), big.native], metrics);
  const m = {
    cold: ['first of the process (cold)', 'native'],
    p50: ['median', 'native'],
    p90: ['90th percentile', 'native'],
    min: ['fastest', 'native'],
  };
  return {
    procfork: { title: `fork + waitpid of a child that exits at once, per pair (${PROC.pairs} sequential pairs per process)`, unit: 'µs', metrics: m },
    procspawn: { title: `posix_spawn + waitpid of a program that exits at once, per pair (${PROC.pairs} sequential pairs per process)`, unit: 'µs', metrics: m },
    procforkexec: { title: `fork + exec of a ${bigKb} KB program that exits at once + waitpid, per round (${PROC.pairs} sequential rounds per process)`, unit: 'µs', metrics: m },
  };
}
