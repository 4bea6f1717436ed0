// The "wasix" group of bench/run.mjs: bench/programs/c/pthread_bench.c compiled against wasix-libc and run
// by weft's CLI, against the native gcc/glibc build of the same source, in the same run (the native build is
// the limit; ratios are weft / native). The program times itself and prints "@ <tag> <ns>" on stderr.
import { buildC } from './build.mjs';

export const WASIX = {
  spawnPairs: 300, // timed pthread_create+join pairs per process, after >= 300 ms (and >= 20 pairs) of warm-up
  lockPairs: 1_000_000, // uncontended lock+unlock pairs per loop (1 untimed + 3 timed loops)
  contended: 400_000, // increments in total per contended run (3 runs with 2 threads, 3 with 4)
};
// tags printed by pthread_bench.c
const T = { cold: 60, p50: 61, p90: 62, min: 63, lock: 65, c2: 66, c4: 67, create: 68, entry: 69, exit: 70 };

/** Adds the cases through run.mjs's def(); returns the table definitions to merge into its `groups`. */
export function defineWasix({ def, node, weftCli, median }) {
  const { wasm, native } = buildC('pthread_bench');
  const args = (part) => [part, WASIX.spawnPairs, WASIX.lockPairs, WASIX.contended].map(String);
  const first = (tag) => (l) => l[tag]?.[0] / 1e3;
  const spawn = (l) => ({ cold: first(T.cold)(l), p50: first(T.p50)(l), p90: first(T.p90)(l), min: first(T.min)(l), create: first(T.create)(l),
    entry: first(T.entry)(l), exit: first(T.exit)(l) });
  const per = (tag, n) => (l) => (l[tag]?.length ? median(l[tag]) / n : undefined);
  const lock = (l) => ({ lock: per(T.lock, WASIX.lockPairs)(l), c2: per(T.c2, WASIX.contended)(l), c4: per(T.c4, WASIX.contended)(l) });
  // one process per part: the spawn rows and the mutex rows come from different processes
  for (const [group, part, metrics] of [['wasixspawn', 'spawn', spawn], ['wasixlock', 'mutex', lock]]) {
    def(group, 'weft', 'weft run (CLI), wasix-libc build', node([], weftCli, 'run', wasm, ...args(part)), metrics);
    def(group, 'native', 'native: gcc -O2 -pthread (glibc)', [native, ...args(part)], metrics);
  }
  return {
    wasixspawn: { title: `WASIX pthread_create + pthread_join, per pair (${WASIX.spawnPairs} sequential pairs per process, after ≥ 300 ms of warm-up pairs)`, unit: 'µs', metrics: {
      cold: ['cold: first pair of the process', 'native'],
      p50: ['warm: median pair (per process)', 'native'],
      p90: ['warm: 90th percentile pair (per process)', 'native'],
      min: ['warm: fastest pair (per process)', 'native'],
      create: ['warm: pthread_create returns (median, per process)', 'native'],
      entry: ['warm: thread function starts, after the create call (median)', 'native'],
      exit: ['warm: pthread_join returns, after the thread function returned (median)', 'native'],
    } },
    wasixlock: { title: `WASIX pthread_mutex, default type (median of 3 timed loops per process)`, unit: 'ns', metrics: {
      lock: [`uncontended lock+unlock, per pair (loops of ${WASIX.lockPairs})`, 'native'],
      c2: [`contended, 2 threads, per increment (${WASIX.contended} in total)`, 'native'],
      c4: [`contended, 4 threads, per increment (${WASIX.contended} in total)`, 'native'],
    } },
  };
}
