import { PREVIEW1, WASI_THREADS, WASIX_32V1 } from '../../abi/syscall-names.js';

/**
 * --trace-summary's counters (strace -c), shared by every thread of the process tree: per syscall name,
 * calls, errors and total time (ns), each a BigInt64 updated with Atomics.add. One row for the whole tree,
 * or with `threads` one row per (pid, tid) (rows claimed by compare-exchange on a key word; threads past
 * MAX_ROWS share the last row).
 */
export const NAMES: readonly string[] = [...new Set([
  ...Object.keys(PREVIEW1), ...Object.keys(WASIX_32V1), ...Object.keys(WASI_THREADS), 'thread_spawn',
])];
const INDEX = new Map(NAMES.map((n, i) => [n, i]));
const MAX_ROWS = 64;
/** Per name: calls, errors, ns. */
const CELL = 3;

export class TraceSummary {
  /** Row keys ((pid << 16 | tid) + 1; 0 = free), MAX_ROWS Int32 words. */
  private readonly keys: Int32Array;
  private readonly cells: BigInt64Array;
  readonly threads: boolean;

  constructor(readonly sab: SharedArrayBuffer) {
    const rows = (sab.byteLength - MAX_ROWS * 4) / (NAMES.length * CELL * 8);
    this.threads = rows > 1;
    this.keys = new Int32Array(sab, 0, MAX_ROWS);
    this.cells = new BigInt64Array(sab, MAX_ROWS * 4);
  }

  static create(threads: boolean): TraceSummary {
    const rows = threads ? MAX_ROWS : 1;
    return new TraceSummary(new SharedArrayBuffer(MAX_ROWS * 4 + rows * NAMES.length * CELL * 8));
  }

  /** Index of a syscall name (-1 for one outside the tables). */
  static index(name: string): number {
    return INDEX.get(name) ?? -1;
  }

  /** The row of thread (pid, tid): claimed on first use. */
  row(pid: number, tid: number): number {
    if (!this.threads) return 0;
    const key = ((pid << 16) | (tid & 0xffff)) + 1;
    for (let r = 0; r < MAX_ROWS - 1; r++) {
      const had = Atomics.compareExchange(this.keys, r, 0, key);
      if (had === 0 || had === key) return r;
    }
    return MAX_ROWS - 1;
  }

  record(row: number, index: number, ms: number, failed: boolean): void {
    if (index < 0) return;
    const c = (row * NAMES.length + index) * CELL;
    Atomics.add(this.cells, c, 1n);
    if (failed) Atomics.add(this.cells, c + 1, 1n);
    Atomics.add(this.cells, c + 2, BigInt(Math.round(ms * 1e6)));
  }

  /** strace -c's table, one per thread with `threads` (threads that made no call are left out). */
  report(): string {
    const out: string[] = [];
    const rows = this.threads ? MAX_ROWS : 1;
    for (let r = 0; r < rows; r++) {
      const key = Atomics.load(this.keys, r);
      if (this.threads && key === 0) continue;
      const table = this.table(r);
      if (!table) continue;
      if (this.threads) {
        const k = key - 1;
        out.push(r === MAX_ROWS - 1 ? 'other threads:' : `pid ${k >>> 16} tid ${k & 0xffff}:`);
      }
      out.push(table);
    }
    return out.join('\n');
  }

  private table(row: number): string | undefined {
    const lines: { name: string; calls: number; errors: number; ns: number }[] = [];
    for (let i = 0; i < NAMES.length; i++) {
      const c = (row * NAMES.length + i) * CELL;
      const calls = Number(Atomics.load(this.cells, c));
      if (calls === 0) continue;
      lines.push({ name: NAMES[i]!, calls, errors: Number(Atomics.load(this.cells, c + 1)), ns: Number(Atomics.load(this.cells, c + 2)) });
    }
    if (lines.length === 0) return undefined;
    lines.sort((a, b) => b.ns - a.ns || b.calls - a.calls);
    const total = lines.reduce((a, l) => ({ calls: a.calls + l.calls, errors: a.errors + l.errors, ns: a.ns + l.ns }), { calls: 0, errors: 0, ns: 0 });
    const rule = '------ ----------- ----------- --------- --------- ----------------';
    const fmt = (pct: string, ns: number, per: string, calls: number, errors: number, name: string): string =>
      `${pct.padStart(6)} ${(ns / 1e9).toFixed(6).padStart(11)} ${per.padStart(11)} ${String(calls).padStart(9)} ` +
      `${(errors ? String(errors) : '').padStart(9)} ${name}`;
    return [
      '% time     seconds  usecs/call     calls    errors syscall',
      rule,
      ...lines.map((l) => fmt((total.ns ? (100 * l.ns) / total.ns : 0).toFixed(2), l.ns, String(Math.round(l.ns / 1000 / l.calls)),
        l.calls, l.errors, l.name)),
      rule,
      fmt('100.00', total.ns, '', total.calls, total.errors, 'total'),
    ].join('\n');
  }
}
