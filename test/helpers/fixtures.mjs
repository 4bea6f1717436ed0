// C fixtures (test/fixtures/c/<route>/<name>.c, compiled by tools/build-fixtures.sh) and running them
// under weft against either filesystem backend, each run in a child process so that a hang is bounded.
//
//   await ensureFixtures('wasi', 'threads')     builds what is missing or stale (incremental, flock-serialised)
//   fixture('wasi', 'fileops')                  path of the .wasm
//   runHost(wasm, args, { dir })                `weft run --dir DIR::/sandbox wasm args` (the CLI)
//   runMemfs(wasm, args, { files, symlinks })   run() with a MemoryFS preopen at /sandbox, see memfs-run.mjs
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { weft } from './run.mjs';

export const repo = fileURLToPath(new URL('../../', import.meta.url));
const cache = process.env.WEFT_CACHE || path.join(repo, '.cache');
export const fixtureDir = path.join(cache, 'fixtures');
const memfsRunner = fileURLToPath(new URL('./memfs-run.mjs', import.meta.url));

export function fixture(route, name) {
  return path.join(fixtureDir, route, `${name}.wasm`);
}

const builds = new Map();

/**
 * Runs `bash tools/build-fixtures.sh <routes>` once per process. It only compiles what is missing or
 * older than its source, so a warm call costs well under a second; a cold one may first build the
 * wasi-threads sysroot (minutes). Rejects, with the script's output, when the build fails: a missing
 * toolchain must fail the tests, not skip them.
 */
export function ensureFixtures(...routes) {
  const key = routes.join(' ');
  if (!builds.has(key)) {
    builds.set(key, new Promise((resolve, reject) => {
      const child = spawn('bash', [path.join(repo, 'tools/build-fixtures.sh'), ...routes], {
        cwd: repo, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b) => (out += b));
      child.stderr.on('data', (b) => (out += b));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(out);
        else reject(new Error(`tools/build-fixtures.sh ${key} failed (exit ${code}):\n${out}`));
      });
    }));
  }
  return builds.get(key);
}

/** A fresh host directory (removed with rm()). */
export function tempDir(prefix = 'weft-fx-') {
  return fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR || '/tmp'), prefix));
}

export function rm(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs the CLI with `dir` preopened as /sandbox. Resolves to { code, stdout, stderr, ms, timedOut }.
 * @param {{ dir: string, stdin?: string|'pipe-open', timeoutMs?: number, env?: object, weftArgs?: string[] }} o
 */
export function runHost(wasm, args, o) {
  return weft(['run', ...(o.weftArgs ?? []), '--dir', `${o.dir}::/sandbox`, wasm, ...args], {
    stdin: o.stdin, timeoutMs: o.timeoutMs ?? 30000, env: o.env,
  });
}

/**
 * Runs wasm through run() in a child process, with a MemoryFS seeded from `files` (path -> content,
 * null = directory) and `symlinks` (path -> target), its directory `root` preopened as /sandbox.
 * Resolves to { code, stdout, stderr, ms, timedOut, tree, fsck }: tree maps every path of the whole
 * MemoryFS after the run to { type: 'file', content } | { type: 'dir' } | { type: 'symlink', target }.
 * `mount` is the guest path of the preopen (default /sandbox).
 * @param {{ files?: object, symlinks?: object, root?: string, mount?: string, stdin?: string, env?: object, timeoutMs?: number }} o
 */
export function runMemfs(wasm, args, o = {}) {
  const spec = {
    wasm, args: [path.basename(wasm), ...args], env: o.env ?? {},
    files: o.files ?? { '/sandbox': null }, symlinks: o.symlinks ?? {}, root: o.root ?? '/sandbox',
    mount: o.mount ?? '/sandbox',
  };
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [memfsRunner, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const out = [], err = [], res = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.stdio[3].on('data', (b) => res.push(b));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, o.timeoutMs ?? 30000);
    if (o.stdin === 'pipe-open') {
      // never written, never ended
    } else child.stdin.end(o.stdin ?? '');
    child.on('close', (exit, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      const stderr = Buffer.concat(err).toString();
      let result;
      try {
        result = JSON.parse(Buffer.concat(res).toString() || '{}');
      } catch (e) {
        result = { error: String(e) };
      }
      resolve({
        code: result.code ?? exit, exit, signal, timedOut, ms: performance.now() - t0,
        stdout: Buffer.concat(out).toString(), stderr: result.error ? `${stderr}\n${result.error}` : stderr,
        tree: result.tree ?? {}, fsck: result.fsck,
      });
    });
  });
}

/** Lines of a program's stdout that are neither blank nor `ok ...`/`blocked ...` (failures, notes, summary). */
export function interesting(stdout) {
  return stdout.split('\n').filter((l) => l && !/^(ok|blocked) /.test(l)).join('\n');
}

/** Every path below a host directory: relative path -> 'dir' | 'file' | 'symlink -> target'. */
export function hostTree(dir) {
  const out = {};
  const walk = (rel) => {
    const abs = rel ? path.join(dir, rel) : dir;
    for (const name of fs.readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(abs, name));
      if (st.isSymbolicLink()) out[r] = `symlink -> ${fs.readlinkSync(path.join(abs, name))}`;
      else if (st.isDirectory()) {
        out[r] = 'dir';
        walk(r);
      } else out[r] = 'file';
    }
  };
  walk('');
  return out;
}
