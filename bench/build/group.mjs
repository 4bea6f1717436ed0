// The "build" group of bench/run.mjs: bench/programs/c/build_bench.c, a make-like workload over a tree of
// 5,000 files (create, walk, stat, read, write, link, remove), built for WASI preview1 with Debian's clang-19
// and wasi-libc (tools/build-fixtures.sh's wasi route) and run by node:wasi, weft's WASI class and weft's
// run() on the same bytes, with the native gcc build as the floor, in the same run. Each runtime gets its
// own empty directory (preopened as /sandbox; the program removes what it made). The program times its
// phases itself and prints a digest of what it built, which must be the same everywhere.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchTmp } from '../data-dir.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const cache = process.env.WEFT_CACHE ?? path.join(root, '.cache');
const T = { gen: 110, build: 111, nop: 112, link: 113, clean: 114, sum: 115, total: 116 };

const mtime = (f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : -1);

/** Builds (if stale) build_bench.c for wasm32-wasi (preview1) and natively; returns { wasm, native }. */
export function buildBuildBench() {
  const src = path.join(root, 'bench', 'programs', 'c', 'build_bench.c');
  const outDir = path.join(cache, 'bench');
  fs.mkdirSync(outDir, { recursive: true });
  const out = { wasm: path.join(outDir, 'build_bench.wasm'), native: path.join(outDir, 'build_bench.native') };
  const deps = [src, fileURLToPath(import.meta.url)].map(mtime);
  for (const [kind, cmd, flags] of [['wasm', 'clang-19', ['--target=wasm32-wasi', '-O2', '-s', '-Wall']], ['native', 'gcc', ['-O2', '-Wall', '-Wno-format-truncation']]]) {
    if (deps.every((d) => mtime(out[kind]) > d)) continue;
    execFileSync(cmd, [...flags, src, '-o', `${out[kind]}.tmp`], { stdio: ['ignore', 'inherit', 'inherit'] });
    fs.renameSync(`${out[kind]}.tmp`, out[kind]);
  }
  return out;
}

/** Adds the cases through run.mjs's def(); returns the tables, the output check and the clean-up. */
export function defineBuild({ def, node, child, weftCli }) {
  const { wasm, native } = buildBuildBench();
  const base = fs.mkdtempSync(path.join(benchTmp(), 'weft-bench-build-'));
  const dir = (id) => {
    const d = path.join(base, id);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  const first = (tag) => (l) => (l[tag]?.length ? l[tag][0] / 1e6 : undefined);
  const metrics = (l) => Object.fromEntries(Object.entries(T).map(([k, tag]) => [k, k === 'sum' ? l[tag]?.[0] : first(tag)(l)]));
  const env = (id) => ({ env: { ...process.env, WEFT_BENCH_DIR: dir(id) }, timeoutMs: 300_000 });
  def('build', 'node-wasi', 'node:wasi', node(['--no-warnings'], child, 'node-wasi', wasm), metrics, env('node-wasi'));
  def('build', 'weft-wasi', 'weft WASI class (same thread)', node([], child, 'weft-wasi', wasm), metrics, env('weft-wasi'));
  def('build', 'weft', 'weft run() (program in a worker)', node([], child, 'weft', wasm), metrics, env('weft'));
  def('build', 'weft-cli', 'weft run (CLI)', node([], weftCli, 'run', '--dir', `${dir('weft-cli')}::/sandbox`, wasm), metrics, { timeoutMs: 300_000 });
  def('build', 'native', 'native (gcc -O2, glibc): the floor', [native, dir('native')], metrics, {});
  const row = (what) => [what, 'node-wasi'];
  const groups = {
    build: { title: 'A "real build" over 5,000 files (bench/programs/c/build_bench.c, wasi-libc), per phase', unit: 'ms', metrics: {
      gen: row('gen: create 5,000 files in 251 directories'),
      build: row('build: walk, stat source + object, read, mkdir, write objects'),
      nop: row('no-op rebuild: walk, stat source + object (make\'s up-to-date check)'),
      link: row('link: read 5,000 objects back, write one file'),
      clean: row('clean: unlink 10,001 files, rmdir 503 directories'),
      total: row('all phases'),
    } },
  };
  const check = (results) => {
    const sums = new Map();
    for (const [c, rows] of results) if (c.group === 'build') for (const r of rows) sums.set(r.sum, [...(sums.get(r.sum) ?? []), c.id]);
    return sums.size > 1 ? [`build: digests differ: ${[...sums].map(([s, ids]) => `${s} (${[...new Set(ids)].join(', ')})`).join('; ')}`] : [];
  };
  return { groups, check, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}
