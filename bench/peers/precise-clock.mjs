// @tybys/wasm-util's clock_time_get(MONOTONIC) is performance.now() truncated to whole milliseconds, and
// performance.now() counts from each worker's own start, so it can neither time a ~100 us spawn nor compare
// times taken on two threads. For benchmarks that only use the clock to time themselves (all but the
// clock_time_get one), the harness replaces it with process.hrtime (ns, one origin for the whole process).
export function usePreciseClock(wasi, memory) {
  wasi.wasiImport.clock_time_get = (_id, _precision, ptr) => {
    new DataView(memory.buffer).setBigUint64(ptr, process.hrtime.bigint(), true);
    return 0;
  };
}
