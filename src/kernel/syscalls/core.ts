import { Errno, WasiError } from '../../abi/errno.js';
import { Clock, Signal } from '../../abi/constants.js';
import { Ctl } from '../shared/control-block.js';
import type { Kernel } from '../kernel.js';
import { ends, errno, type Preview1Table } from './types.js';

/** NUL-terminated strings packed end to end, as args_get/environ_get lay them out. */
function pack(strings: string[]): { offsets: number[]; bytes: Uint8Array } {
  const enc = new TextEncoder();
  const parts = strings.map((s) => enc.encode(s + '\0'));
  const offsets: number[] = [];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    offsets.push(at);
    bytes.set(p, at);
    at += p.length;
  }
  return { offsets, bytes };
}

/** args_get/args_sizes_get (or environ_*) over one list. */
function stringList(k: Kernel, list: string[]) {
  const { offsets, bytes } = pack(list);
  return {
    get: errno(function get(ptrs: number, buf: number) {
      const m = k.mem.sync();
      const p = m.check(ptrs, offsets.length * 4);
      const b = m.check(buf, bytes.length);
      for (let i = 0; i < offsets.length; i++) m.dv.setUint32(p + i * 4, b + offsets[i]!, true);
      m.u8.set(bytes, b);
      return 0;
    }),
    sizes: errno(function sizes(count: number, size: number) {
      const m = k.mem.sync();
      m.setU32(count, offsets.length);
      m.setU32(size, bytes.length);
      return 0;
    }),
  };
}

/** Signals whose default action ends the process (preview1 numbering; WASIX agrees below 16). */
const TERMINATING = new Set<number>([
  Signal.HUP, Signal.INT, Signal.QUIT, Signal.ILL, Signal.TRAP, Signal.ABRT, Signal.BUS, Signal.FPE, Signal.KILL,
  Signal.USR1, Signal.SEGV, Signal.USR2, Signal.PIPE, Signal.ALRM, Signal.TERM,
]);

/**
 * sched_yield. Idle threads of thread pools (rayon, tokio, crossbeam's backoff, lzma's workers) spin on it
 * while they wait for work; a yield that gives nothing up lets them take the CPUs the working threads need
 * (4 such spinners made @napi-rs/lzma use 1.34x node:wasi's CPU on 2 cores). Native sched_yield gives the
 * CPU to another runnable thread, if any; a JS thread cannot, but it can sleep. So: the first FREE yields
 * of a spin (each called less than GAP_MS after the previous one returned) return at once, as a yield
 * with nothing else to run does, which keeps short hand-offs fast; from then on each one sleeps on a private
 * word, SLEEP_MS at first and twice as long each time up to MAX_SLEEP_MS (a wake-up comes at most about as
 * late as the thread had already waited; Linux rounds short sleeps up by its timer slack, ~50 µs), unless the process has no
 * more live threads than CPUs (then every thread can have a CPU, and native yield returns at once too).
 * A thread that yields between pieces of real work (a few µs) never reaches FREE and never sleeps.
 */
const Yield = { FREE: 32, GAP_MS: 0.002, SLEEP_MS: 0.02, MAX_SLEEP_MS: 0.5 } as const;

export function coreSyscalls(k: Kernel): Preview1Table {
  const args = stringList(k, k.cfg.args);
  const env = stringList(k, k.cfg.env);
  const host = k.host;
  // Node's global `performance` is a lazy getter on globalThis whose first access loads perf_hooks
  // (2-6 ms): look it up once, on the first clock read, not at start-up and not on every call.
  let perf: Performance | undefined;
  let monoOffsetMs = 0;
  // sched_yield's spin detection (per thread: each thread has its own kernel)
  let yieldStreak = 0;
  let yieldEnd = -Infinity;
  let yieldWord: Int32Array | undefined;
  let cpus = 0;
  /** More live threads than CPUs, or a count this process does not keep (threads weft did not spawn). */
  function oversubscribed(): boolean {
    const live = k.ctl.i32[Ctl.LIVE]!;
    return live === 0 || live > (cpus ||= Math.max(1, host.cpuCount()));
  }
  function clocks(): Performance {
    perf = performance;
    monoOffsetMs = k.monoOffsetMs;
    return perf;
  }

  function now(id: number): number {
    const p = perf ?? clocks();
    switch (id) {
      case Clock.REALTIME: return (p.timeOrigin + p.now()) * 1e6;
      case Clock.MONOTONIC: return (p.now() + monoOffsetMs) * 1e6;
      case Clock.PROCESS_CPUTIME_ID: return host.processCpuTimeNs();
      case Clock.THREAD_CPUTIME_ID: return host.threadCpuTimeNs();
      default: throw new WasiError(Errno.INVAL);
    }
  }

  return {
    args_get: args.get,
    args_sizes_get: args.sizes,
    environ_get: env.get,
    environ_sizes_get: env.sizes,

    clock_res_get: errno(function clock_res_get(id: number, resPtr: number) {
      if (id >>> 0 > Clock.THREAD_CPUTIME_ID) return Errno.INVAL;
      k.mem.sync().setU64n(resPtr, 1000);
      return 0;
    }),

    clock_time_get: errno(function clock_time_get(id: number, _precision: bigint, timePtr: number) {
      k.mem.sync().setU64n(timePtr, now(id));
      return 0;
    }),

    random_get: errno(function random_get(buf: number, len: number) {
      host.randomFill(k.mem.sync().bytes(buf, len));
      return 0;
    }),

    // Liveness is checked at the boundary: a yield while the process exits unwinds the thread.
    sched_yield: errno(function sched_yield() {
      const p = perf ?? clocks();
      const t = p.now();
      // A yield soon after the previous one returned is a spin loop; one after real work starts afresh.
      if (t - yieldEnd > Yield.GAP_MS) yieldStreak = 0;
      if (++yieldStreak > Yield.FREE && oversubscribed()) {
        yieldWord ??= new Int32Array(new SharedArrayBuffer(4));
        // exponential backoff: the longer a thread has waited, the longer it may sleep
        const ms = Math.min(Yield.MAX_SLEEP_MS, Yield.SLEEP_MS * 2 ** Math.min(20, yieldStreak - Yield.FREE - 1));
        try {
          Atomics.wait(yieldWord, 0, 0, ms);
        } catch {
          yieldStreak = 0; // a thread that may not wait (a browser's main thread): a yield stays a no-op
        }
        yieldEnd = p.now();
      } else yieldEnd = t;
      return 0;
    }),

    proc_exit: ends(function proc_exit(code: number): void {
      k.exit(code >>> 0 > 255 ? code & 0xff : code);
    }),

    proc_raise: errno(function proc_raise(sig: number) {
      if (sig >>> 0 > 64) return Errno.INVAL;
      if (TERMINATING.has(sig)) {
        host.log(`weft: thread ${k.tid} raised signal ${sig}; terminating`);
        k.exit(128 + sig);
      }
      return 0;
    }),
  };
}
