// One process of the `napi` benchmark group: a workload of a real napi-rs wasm32-wasi package, run as its
// users run it (the package's own loader, which does `new WASI()` from node:wasi in the main thread and in
// each of its worker threads). Under `node --import weft/napi/register` that WASI is weft's.
//   node [--import weft/napi/register] bench/napi/work.mjs <workload> <data dir>
// workloads: tar (unpack a tarball), rolldown (build a small project), lzma (xz compress + decompress in
// the addon's worker pool; lzma2: the same with the newest release, built on emnapi 2), long (one process: 30 rolldown builds and 30 tar unpacks, alternating).
// Prints "@ <tag> <value>" lines on stderr (see NAPI_TAG): the work's wall time and the process's CPU time
// (all threads), and a 48-bit hash of the output, which bench/run.mjs compares across runtimes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NAPI_BENCH_DIR, NAPI_BENCH_DIR2 } from './packages.mjs';

export const NAPI_TAG = { hash: 100, workUs: 101, cpuUs: 102, workCpuUs: 103, loadUs: 104 };
export const LONG_ROUNDS = 30;

const require = createRequire(path.join(NAPI_BENCH_DIR, 'x.cjs'));
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const emit = (tag, v) => process.stderr.write(`@ ${tag} ${Math.round(v)}\n`);
const us = (since) => Number(process.hrtime.bigint() - since) / 1e3;

/** Every file under dir (relative path, bytes), sorted: what an unpack or a build produced. */
function treeHash(dir, h = crypto.createHash('sha256'), rel = '') {
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) {
      h.update(`d ${p}\n`);
      treeHash(dir, h, p);
    } else {
      h.update(`f ${p}\n`);
      h.update(fs.readFileSync(path.join(dir, p)));
    }
  }
  return h;
}

async function main() {
  const [workload, data] = process.argv.slice(2);
  const out = path.join(data, `out-${process.pid}`);
  fs.mkdirSync(out);
  const hash = crypto.createHash('sha256');
  let work;
  if (workload === 'tar' || workload === 'long') {
    const { Archive } = require('@napi-rs/tar-wasm32-wasi');
    const file = path.join(data, workload === 'tar' ? 'tree.tar' : 'small.tar');
    const tar = (i) => new Archive(file).unpack(path.join(out, `tar-${i}`));
    if (workload === 'tar') work = async () => tar(0);
    else {
      const { rolldown } = await import(path.join(NAPI_BENCH_DIR, 'rolldown', 'dist', 'index.mjs'));
      work = async () => {
        for (let i = 0; i < LONG_ROUNDS; i++) {
          await build(rolldown, data, path.join(out, `dist-${i}`));
          tar(i);
        }
      };
    }
  } else if (workload === 'rolldown') {
    const { rolldown } = await import(path.join(NAPI_BENCH_DIR, 'rolldown', 'dist', 'index.mjs'));
    work = () => build(rolldown, data, path.join(out, 'dist-0'));
  } else if (workload === 'lzma' || workload === 'lzma2') {
    const from = workload === 'lzma' ? require : createRequire(path.join(NAPI_BENCH_DIR2, 'x.cjs'));
    const { xz } = from('@napi-rs/lzma-wasm32-wasi');
    const input = fs.readFileSync(path.join(data, 'lzma.in'));
    // four buffers at once: the addon's async work pool (4 threads) compresses them in parallel
    const parts = [0, 1, 2, 3].map((i) => input.subarray((i * input.length) / 4, ((i + 1) * input.length) / 4));
    work = async () => {
      const packed = await Promise.all(parts.map((p) => xz.compress(p)));
      const unpacked = await Promise.all(packed.map((p) => xz.decompress(p)));
      unpacked.forEach((u, i) => {
        if (!u.equals(parts[i])) throw new Error(`lzma: part ${i} did not round-trip`);
      });
      for (const p of packed) hash.update(p);
    };
  } else throw new Error(`unknown workload ${workload}`);
  const loaded = process.hrtime.bigint();
  emit(NAPI_TAG.loadUs, us(t0));
  const cpu1 = process.cpuUsage();
  await work();
  emit(NAPI_TAG.workUs, us(loaded));
  const cpu2 = process.cpuUsage(cpu1);
  emit(NAPI_TAG.workCpuUs, cpu2.user + cpu2.system);
  const all = process.cpuUsage(cpu0);
  emit(NAPI_TAG.cpuUs, all.user + all.system);
  treeHash(out, hash);
  emit(NAPI_TAG.hash, parseInt(hash.digest('hex').slice(0, 12), 16));
  fs.rmSync(out, { recursive: true, force: true });
}

/** A rolldown build of the generated project (data/app/src/main.js) into dir. */
async function build(rolldown, data, dir) {
  const bundle = await rolldown({ input: path.join(data, 'app', 'src', 'main.js'), cwd: path.join(data, 'app'), logLevel: 'silent' });
  await bundle.write({ dir, format: 'esm', sourcemap: true });
  await bundle.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
  // The addons' pool Workers are unref'ed, but an exit here does not wait for anything of theirs.
  process.exit(0);
}
