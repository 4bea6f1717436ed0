// A real POSIX shell under weft, compared with the host's own: Debian's dash built for WASIX
// (tools/dash/build.sh) in a rootfs of wasm programs, and the host's native dash (Debian's /bin/sh) in
// an equivalent native rootfs whose /bin holds the same small programs compiled natively.
//
//   await shellFixtures()                      builds dash, bin/ (wasm) and bin-native/ (gcc) if stale
//   const root = makeRootfs('wasm' | 'native') a fresh directory: bin/{sh,echo,cat,wc,sleep}, tmp/
//   await weftSh(root, script, o)              weft run --argv0 sh --env PATH=/bin --dir ROOT::/ sh.wasm -c SCRIPT
//   await nativeSh(root, script, o)            ROOT/bin/sh -c SCRIPT (argv0 sh, cwd ROOT, PATH=ROOT/bin)
//   await memfsSh(script, o)                   run() with a MemoryFS at / holding the same rootfs
// Each resolves to { code, stdout, stderr, ms, timedOut }.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureFixtures, fixtureDir, runMemfs, tempDir } from './fixtures.mjs';
import { weft } from './run.mjs';

export const BIN = ['echo', 'cat', 'wc', 'sleep'];
export const shWasm = () => path.join(fixtureDir, 'dash', 'sh.wasm');

export function shellFixtures() {
  return ensureFixtures('dash', 'bin', 'bin-native');
}

let hostDash;
/** The host's dash (the native comparator). */
export function nativeDash() {
  hostDash ??= execFileSync('bash', ['-c', 'command -v dash'], { encoding: 'utf8' }).trim();
  return hostDash;
}

/** A fresh rootfs: bin/ with sh and the small programs (wasm or native), an empty tmp/. */
export function makeRootfs(kind) {
  const root = tempDir(`weft-sh-${kind}-`);
  fs.mkdirSync(path.join(root, 'bin'));
  fs.mkdirSync(path.join(root, 'tmp'));
  if (kind === 'wasm') {
    fs.copyFileSync(shWasm(), path.join(root, 'bin', 'sh'));
    for (const p of BIN) fs.copyFileSync(path.join(fixtureDir, 'bin', `${p}.wasm`), path.join(root, 'bin', p));
  } else {
    fs.symlinkSync(nativeDash(), path.join(root, 'bin', 'sh'));
    for (const p of BIN) fs.copyFileSync(path.join(fixtureDir, 'bin-native', p), path.join(root, 'bin', p));
  }
  return root;
}

/** Guest path -> host file for a MemoryFS rootfs (the wasm programs). */
export function rootfsFiles() {
  const files = { '/bin/sh': shWasm() };
  for (const p of BIN) files[`/bin/${p}`] = path.join(fixtureDir, 'bin', `${p}.wasm`);
  return files;
}

export function weftSh(root, script, o = {}) {
  return weft(['run', '--argv0', 'sh', '--env', 'PATH=/bin', ...(o.weftArgs ?? []), '--dir', `${root}::/`,
    shWasm(), '-c', script, ...(o.args ?? [])], { stdin: o.stdin, timeoutMs: o.timeoutMs ?? 30000, env: o.env });
}

export function memfsSh(script, o = {}) {
  return runMemfs(shWasm(), ['-c', script, ...(o.args ?? [])], {
    argv0: 'sh', env: { PATH: '/bin' }, mount: '/', root: '/',
    files: { '/bin': null, '/tmp': null }, hostFiles: rootfsFiles(), stdin: o.stdin, timeoutMs: o.timeoutMs ?? 30000,
  });
}

export function nativeSh(root, script, o = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(path.join(root, 'bin', 'sh'), ['-c', script, ...(o.args ?? [])], {
      argv0: 'sh', cwd: root, env: { PATH: path.join(root, 'bin') }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = [], err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, o.timeoutMs ?? 30000);
    child.stdin.on('error', () => {});
    child.stdin.end(o.stdin ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal ? (/** @type {any} */ ({ SIGKILL: 9, SIGTERM: 15 }))[signal] ?? 0 : 0),
        signal, timedOut, ms: performance.now() - t0,
        stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(),
      });
    });
  });
}
