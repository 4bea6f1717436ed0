// Builds bench/programs/c/*.c twice, at bench time, into .cache/bench/ ($WEFT_CACHE/bench/ when set):
//   <name>.wasm    clang-19 against Debian's wasix-libc, with the flags of tools/build-fixtures.sh (wasix route)
//   <name>.native  gcc -O2 -pthread (glibc): the limit the wasm build is compared with
// A file is rebuilt only when it is older than its source, this script or the wasix toolchain stamp.
//
//   node bench/wasix/build.mjs [name...]      (bench/run.mjs calls buildC() for the "wasix" group)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const cache = process.env.WEFT_CACHE ?? path.join(root, '.cache');
const srcDir = path.join(root, 'bench', 'programs', 'c');
const outDir = path.join(cache, 'bench');
const tc = path.join(cache, 'toolchain', 'wasix');

const wasixFlags = [
  '--target=wasm32-wasi', `--sysroot=${tc}`, '-isystem', path.join(tc, 'include', 'wasm32-wasi'),
  `-L${path.join(tc, 'lib', 'wasm32-wasi')}`, '-matomics', '-mbulk-memory', '-pthread', '-ftls-model=local-exec',
  '-O2', '-s', '-Wall', '-D_WASI_EMULATED_PROCESS_CLOCKS', '-lwasi-emulated-process-clocks', '-Wl,--shared-memory,--import-memory,--max-memory=67108864',
  '-Wl,--export=__wasm_init_tls,--export=__tls_size,--export=__tls_align,--export=__tls_base,--export=__stack_pointer',
];
const nativeFlags = ['-O2', '-pthread', '-Wall'];

const mtime = (f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : -1);

/**
 * Builds (if stale) and returns { wasm, native } paths of bench/programs/c/<name>.c. Throws on a failed compile.
 * `src`: a source elsewhere (a generated one). `asyncify`: run the wasm through Debian binaryen's wasm-opt --asyncify (fork), as tools/build-fixtures.sh's
 * wasix-async route does.
 */
export function buildC(name, { asyncify = false, src: srcFile } = {}) {
  // The sysroot: fetched on first use (Debian package), instant when cached.
  execFileSync('bash', [path.join(root, 'tools', 'toolchain', 'get-wasix-sysroot.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  fs.mkdirSync(outDir, { recursive: true });
  const src = srcFile ?? path.join(srcDir, `${name}.c`);
  const deps = [src, fileURLToPath(import.meta.url), path.join(tc, '.stamp')].map(mtime);
  const out = { wasm: path.join(outDir, `${name}${asyncify ? '.async' : ''}.wasm`), native: path.join(outDir, `${name}.native`) };
  for (const [kind, cmd, flags] of [['wasm', 'clang-19', wasixFlags], ['native', 'gcc', nativeFlags]]) {
    const file = out[kind];
    if (deps.every((d) => mtime(file) > d)) continue;
    const t0 = Date.now();
    execFileSync(cmd, [...flags, src, '-o', `${file}.tmp`], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (kind === 'wasm' && asyncify) {
      execFileSync('wasm-opt', ['--asyncify', '--pass-arg=asyncify-imports@wasix_32v1.proc_fork,wasix_32v1.stack_checkpoint,wasix_32v1.stack_restore',
        '--enable-threads', '--enable-bulk-memory', '--enable-mutable-globals', '--enable-sign-ext', '--enable-nontrapping-float-to-int',
        '-O2', `${file}.tmp`, '-o', `${file}.tmp`], { stdio: ['ignore', 'inherit', 'inherit'] });
    }
    fs.renameSync(`${file}.tmp`, file);
    process.stderr.write(`  built ${path.relative(root, file)} (${Math.ceil(fs.statSync(file).size / 1024)} KB, ${Date.now() - t0} ms)\n`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of process.argv.slice(2).length ? process.argv.slice(2) : ['pthread_bench']) console.log(buildC(name));
}
