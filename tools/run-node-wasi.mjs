#!/usr/bin/env node
// tools/run-node-wasi.mjs -- run a single-threaded WASI preview1 program under
// Node's built-in node:wasi, as a reference for the fixtures.
//
//   node tools/run-node-wasi.mjs [--dir HOSTDIR] [--keep] [--sandbox-links] [--env K=V]... prog.wasm [args...]
//
// The guest sees HOSTDIR (default: a fresh temporary directory, removed
// afterwards unless --keep) preopened as "/sandbox"; argv[0] is the wasm's
// file name.  The program's stdout/stderr pass through; the exit code is
// printed to stderr as "[node:wasi] exit=N" and becomes this script's exit code.
// --sandbox-links creates HOSTDIR/host-links (tools/sandbox-links.mjs) first.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { WASI } from 'node:wasi';
import { makeSandboxLinks } from './sandbox-links.mjs';

const argv = process.argv.slice(2);
let dir = null;
let keep = false;
let links = false;
const env = {};
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift();
  if (opt === '--dir') dir = resolve(argv.shift());
  else if (opt === '--keep') keep = true;
  else if (opt === '--sandbox-links') links = true;
  else if (opt === '--env') {
    const kv = argv.shift();
    const i = kv.indexOf('=');
    env[kv.slice(0, i)] = kv.slice(i + 1);
  } else {
    process.stderr.write(`unknown option ${opt}\n`);
    process.exit(2);
  }
}
if (!argv.length) {
  process.stderr.write('usage: run-node-wasi.mjs [--dir HOSTDIR] [--keep] [--sandbox-links] [--env K=V]... prog.wasm [args...]\n');
  process.exit(2);
}
const [file, ...args] = argv;
const made = dir === null;
if (made) dir = mkdtempSync(join(tmpdir(), 'weft-nodewasi-'));
if (links) makeSandboxLinks(dir);

const wasi = new WASI({
  version: 'preview1',
  args: [basename(file), ...args],
  env,
  preopens: { '/sandbox': dir },
  returnOnExit: true,
});
let code;
try {
  const module = await WebAssembly.compile(readFileSync(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  code = wasi.start(instance);
} catch (e) {
  process.stderr.write(`[node:wasi] trap: ${e && e.stack ? e.stack : e}\n`);
  code = 134;
}
if (made && !keep) rmSync(dir, { recursive: true, force: true });
else if (made) process.stderr.write(`[node:wasi] kept ${dir}\n`);
process.stderr.write(`[node:wasi] exit=${code}\n`);
process.exitCode = code;
