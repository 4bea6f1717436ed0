// The "napi" group of bench/run.mjs: real napi-rs wasm32-wasi packages (bench/napi/packages.mjs) doing real
// work (bench/napi/work.mjs) under `node --import weft/napi/register` against the same package on node:wasi,
// interleaved round-robin like every case. Rows: process wall time, process CPU time (all threads), and the
// work's own wall and CPU time (after the addon loaded); every process's output is hashed, and the group
// fails when any two differ.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { napiBenchPackages } from './packages.mjs';
import { benchTmp } from '../data-dir.mjs';
import { LONG_ROUNDS, NAPI_TAG } from './work.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

const SIZE = {
  tarDirs: 20, tarFilesPerDir: 50, // 1,000 files (and 40 directories) in the tarball
  longTarDirs: 10, longTarFilesPerDir: 20, // 200 files in the long-lived process's tarball
  appModules: 120, appPackages: 6, // the rolldown project: src/ modules and node_modules packages
  lzmaBytes: 2 << 20, // xz-compressed in 4 parts at once, then decompressed
};

const WORKLOADS = {
  tar: `@napi-rs/tar: unpack a tarball of ${SIZE.tarDirs * SIZE.tarFilesPerDir} files in ${SIZE.tarDirs * 2} directories`,
  rolldown: `rolldown (wasm32-wasi binding): build a project of ${SIZE.appModules} modules and ${SIZE.appPackages} packages, with source maps`,
  lzma: `@napi-rs/lzma 1.5.1 (emnapi 1.11): xz compress + decompress ${SIZE.lzmaBytes >> 20} MiB as 4 parts at once (the addon's async pool)`,
  lzma2: `@napi-rs/lzma 1.5.3 (emnapi 2.0 beta, whose pool threads spin on sched_yield): the same`,
  long: `one long-lived process: ${LONG_ROUNDS} rolldown builds (the project above) and ${LONG_ROUNDS} tar unpacks (${SIZE.longTarDirs * SIZE.longTarFilesPerDir} files), alternating`,
};

/** A deterministic pseudo-random generator (xorshift32). */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
const WORDS = 'alpha beta gamma delta epsilon zeta theta iota kappa lambda value result index buffer state handle module export import return const function'.split(' ');

/**
 * A ustar archive of [name, bytes | null (a directory)] entries, with an empty mode field: tar-rs (which
 * @napi-rs/tar is) fails an unpack on wasm32 when it has a mode to apply ("failed to set permissions: Wasm
 * not implemented"), on node:wasi and weft alike, and skips that step when the mode does not parse.
 */
function ustar(entries) {
  const blocks = [];
  for (const [name, bytes] of entries) {
    const h = Buffer.alloc(512);
    const field = (at, len, v) => h.write(v, at, len, 'latin1');
    const octal = (at, len, v) => field(at, len, v.toString(8).padStart(len - 1, '0'));
    field(0, 100, name);
    octal(108, 8, 0); // uid
    octal(116, 8, 0); // gid
    octal(124, 12, bytes?.length ?? 0);
    octal(136, 12, 1_700_000_000); // mtime
    field(156, 1, bytes ? '0' : '5');
    field(257, 6, 'ustar');
    field(263, 2, '00');
    h.fill(0x20, 148, 156); // checksum: computed with its own field as spaces
    let sum = 0;
    for (const b of h) sum += b;
    field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
    blocks.push(h);
    if (bytes) blocks.push(bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The data the workloads use, in a fresh directory a few components deep (as real project paths are). */
export function prepareNapiData() {
  const base = fs.mkdtempSync(path.join(benchTmp(), 'weft-bench-napi-'));
  const data = path.join(base, 'home', 'user', 'projects');
  const r = rng(0x5eed);
  const words = (n) => Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
  // tar: tree/pkg-i/{lib,test}/file-j.{js,json} of 100 B .. 8 KiB
  fs.mkdirSync(data, { recursive: true });
  for (const [file, dirs, files] of [['tree.tar', SIZE.tarDirs, SIZE.tarFilesPerDir], ['small.tar', SIZE.longTarDirs, SIZE.longTarFilesPerDir]]) {
    const entries = [['tree/', null]];
    for (let d = 0; d < dirs; d++) {
      for (const sub of ['lib', 'test']) entries.push([`tree/pkg-${d}/${sub}/`, null]);
      for (let f = 0; f < files; f++) {
        const sub = f % 3 ? 'lib' : 'test';
        entries.push([`tree/pkg-${d}/${sub}/file-${f}.${f % 7 ? 'js' : 'json'}`, Buffer.from(words(20 + Math.floor(r() * 1200)) + '\n')]);
      }
    }
    fs.writeFileSync(path.join(data, file), ustar(entries));
  }
  // rolldown: src/main.js imports every module; module i imports two lower ones and one package
  const app = path.join(data, 'app');
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "type": "module" }\n');
  for (let p = 0; p < SIZE.appPackages; p++) {
    const dir = path.join(app, 'node_modules', `lib-${p}`);
    fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `lib-${p}`, type: 'module', exports: { '.': './dist/index.js' } }) + '\n');
    fs.writeFileSync(path.join(dir, 'dist', 'index.js'), `export function lib${p}(x) { return x.map((v) => v * ${p + 2}).filter(Boolean); }\nexport const name${p} = ${JSON.stringify(words(8))};\n`);
  }
  for (let m = 0; m < SIZE.appModules; m++) {
    const deps = m >= 2 ? [Math.floor(r() * m), Math.floor(r() * m)] : [];
    const pkg = m % SIZE.appPackages;
    const src = [
      ...new Set(deps.map((d) => `import { f${d} } from './mod-${d}.js';`)),
      `import { lib${pkg} } from 'lib-${pkg}';`,
      `const table${m} = ${JSON.stringify(Array.from({ length: 20 }, () => words(4)))};`,
      `export class C${m} { constructor(v) { this.v = v; } get size() { return this.v.length + ${m}; } }`,
      `export function f${m}(x) {`,
      `  const out = lib${pkg}([x, ${m}, x * 2]);`,
      ...[...new Set(deps)].map((d) => `  out.push(f${d}(x - 1));`),
      `  return out.length + table${m}.length + new C${m}(out).size;`,
      '}',
      `export const unused${m} = () => ${JSON.stringify(words(12))};`,
    ];
    fs.writeFileSync(path.join(app, 'src', `mod-${m}.js`), src.join('\n') + '\n');
  }
  const main = Array.from({ length: SIZE.appModules }, (_, m) => `import { f${m} } from './mod-${m}.js';`);
  main.push(`console.log(${Array.from({ length: SIZE.appModules }, (_, m) => `f${m}(1)`).join(' + ')});`);
  fs.writeFileSync(path.join(app, 'src', 'main.js'), main.join('\n') + '\n');
  // lzma: text-like bytes
  const lines = [];
  let n = 0;
  while (n < SIZE.lzmaBytes) {
    const l = `${Math.floor(r() * 1e6)} ${words(6 + Math.floor(r() * 10))}\n`;
    lines.push(l);
    n += l.length;
  }
  fs.writeFileSync(path.join(data, 'lzma.in'), lines.join('').slice(0, SIZE.lzmaBytes));
  return { base, data };
}

/** Adds the cases through run.mjs's def(); returns the tables, the data directory and the output check. */
export function defineNapi({ def, node, repeats, only = ['napi'] }) {
  napiBenchPackages();
  const { base, data } = prepareNapiData();
  const work = path.join(here, 'work.mjs');
  const env = { ...process.env, NAPI_RS_FORCE_WASI: 'true' };
  const first = (tag) => (l) => l[tag]?.[0];
  const metrics = (l, wallMs) => ({
    wall: wallMs, cpu: first(NAPI_TAG.cpuUs)(l) / 1e3, work: first(NAPI_TAG.workUs)(l) / 1e3,
    workCpu: first(NAPI_TAG.workCpuUs)(l) / 1e3, hash: first(NAPI_TAG.hash)(l),
  });
  const groups = {};
  for (const [w, title] of Object.entries(WORKLOADS)) {
    const g = `napi${w}`;
    if (!only.includes('napi') && !only.includes(g)) continue;
    // the long-lived process takes ~15-60 s (minutes under load): 3 of each at most
    const o = { env, repeats: w === 'long' ? Math.min(repeats, 3) : repeats, timeoutMs: w === 'long' ? 600_000 : 120_000 };
    def(g, 'node-wasi', 'node:wasi (the package as published)', node(['--no-warnings'], work, w, data), metrics, o);
    def(g, 'weft', 'node --import weft/napi/register', node(['--import', path.join(root, 'dist', 'napi-register.js')], work, w, data), metrics, o);
    groups[g] = { title, unit: 'ms', metrics: {
      wall: ['process wall time', 'node-wasi'], cpu: ['process CPU time (all threads)', 'node-wasi'],
      work: ['the work\'s wall time (after loading)', 'node-wasi'], workCpu: ['the work\'s CPU time', 'node-wasi'],
    } };
  }
  return { groups, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

/** Every napi process's output hash, per group: one distinct value each, or the differing ones. */
export function checkNapiOutputs(results) {
  const problems = [];
  const byGroup = new Map();
  for (const [c, rows] of results) {
    if (!c.group.startsWith('napi') || c.group === 'napi') continue;
    const set = byGroup.get(c.group) ?? new Map();
    for (const r of rows) set.set(r.hash, [...(set.get(r.hash) ?? []), c.id]);
    byGroup.set(c.group, set);
  }
  for (const [g, set] of byGroup) {
    if (set.size !== 1) problems.push(`${g}: outputs differ: ${[...set].map(([h, ids]) => `${h} (${ids.join(', ')})`).join('; ')}`);
  }
  return { problems, groups: [...byGroup.keys()] };
}
