// stdio on /dev/null or 'ignore' is a character device that is not a terminal: wasi-libc's isatty()
// (a character device without the seek and tell rights) must say 0, as it does under node:wasi.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { WASI } from 'node:wasi';
import { run } from '../dist/index.js';
import { cli } from './helpers/run.mjs';
import { wat2wasm, watFile } from './helpers/wat.mjs';

/** Prints, for fds 0, 1 and 2, wasi-libc's isatty() answer (0/1) and then the filetype, e.g. "0:0/2 1:0/0 ...". */
const ttyProbe = `(module
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $stat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $report (param $fd i32) (param $at i32) (local $tty i32)
    (drop (call $stat (local.get $fd) (i32.const 64)))
    ;; isatty: filetype CHARACTER_DEVICE (2) and neither FD_SEEK (0x4) nor FD_TELL (0x20)
    (local.set $tty (i32.and (i32.eq (i32.load8_u (i32.const 64)) (i32.const 2))
      (i32.eqz (i32.and (i32.load (i32.const 72)) (i32.const 0x24)))))
    (i32.store8 (local.get $at) (i32.add (i32.const 48) (local.get $fd)))
    (i32.store8 (i32.add (local.get $at) (i32.const 1)) (i32.const 58))
    (i32.store8 (i32.add (local.get $at) (i32.const 2)) (i32.add (i32.const 48) (local.get $tty)))
    (i32.store8 (i32.add (local.get $at) (i32.const 3)) (i32.const 47))
    (i32.store8 (i32.add (local.get $at) (i32.const 4)) (i32.add (i32.const 48) (i32.load8_u (i32.const 64))))
    (i32.store8 (i32.add (local.get $at) (i32.const 5)) (i32.const 32)))
  (func (export "_start")
    (call $report (i32.const 0) (i32.const 200))
    (call $report (i32.const 1) (i32.const 206))
    (call $report (i32.const 2) (i32.const 212))
    (i32.store8 (i32.const 217) (i32.const 10))
    (i32.store (i32.const 100) (i32.const 200)) (i32.store (i32.const 104) (i32.const 18))
    (drop (call $write (i32.const 1) (i32.const 100) (i32.const 1) (i32.const 108)))))`;

/** Runs a command with stdin and stderr on /dev/null and stdout a pipe; resolves with its stdout. */
function withDevNull(args) {
  return new Promise((resolve, reject) => {
    const devnull = fs.openSync('/dev/null', 'r+');
    const child = spawn(process.execPath, args, { stdio: [devnull, 'pipe', devnull] });
    fs.closeSync(devnull);
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

test("run() with stdin and stderr 'ignore': character devices, not terminals (isatty 0)", async () => {
  const chunks = [];
  const { exitCode } = await run(await wat2wasm(ttyProbe), { stdin: 'ignore', stderr: 'ignore', stdout: (b) => chunks.push(Buffer.from(b)) });
  assert.equal(exitCode, 0);
  assert.equal(Buffer.concat(chunks).toString(), '0:0/2 1:0/0 2:0/2\n');
});

test('weft run with stdin and stderr on /dev/null: isatty 0, as under node:wasi', async () => {
  const wasm = await watFile(ttyProbe, 'tty-probe');
  const nodeWasi = `
    const { WASI } = require('node:wasi');
    const wasi = new WASI({ version: 'preview1', returnOnExit: true });
    WebAssembly.instantiate(require('node:fs').readFileSync(${JSON.stringify(wasm)}), wasi.getImportObject())
      .then(({ instance }) => wasi.start(instance));`;
  const [weft, node] = await Promise.all([withDevNull([cli, 'run', wasm]), withDevNull(['--no-warnings', '-e', nodeWasi])]);
  // fds 0 and 2 (fd 1 is a pipe, whose filetype node:wasi and weft report differently)
  const devices = (out) => out.split(' ').filter((f) => !f.startsWith('1:')).join(' ');
  assert.equal(devices(node.out), '0:0/2 2:0/2\n', 'node:wasi');
  assert.equal(weft.code, 0);
  assert.equal(devices(weft.out), devices(node.out));
});

test('the WASI class with stdin and stderr on /dev/null answers as node:wasi does (isatty 0)', async () => {
  const { WASI: WeftWASI } = await import('../dist/index.js');
  const bytes = await wat2wasm(ttyProbe);
  const outputs = [];
  for (const Class of [WASI, WeftWASI]) {
    const file = path.join(os.tmpdir(), `weft-tty-probe-${process.pid}-${outputs.length}`);
    const devnull = fs.openSync('/dev/null', 'r+');
    const out = fs.openSync(file, 'w+');
    try {
      const wasi = new Class({ version: 'preview1', returnOnExit: true, stdin: devnull, stdout: out, stderr: devnull });
      const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
      wasi.start(instance);
      outputs.push(fs.readFileSync(file, 'utf8'));
    } finally {
      fs.closeSync(devnull);
      fs.closeSync(out);
      fs.rmSync(file, { force: true });
    }
  }
  assert.equal(outputs[0], '0:0/2 1:0/4 2:0/2\n', 'node:wasi');
  assert.equal(outputs[1], outputs[0]);
});
