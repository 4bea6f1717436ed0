// WASIX processes (issue 11): posix_spawn with file actions, waitpid (any child, a pid, WNOHANG), exit
// codes and signals reported to the parent, kill between processes, exec with close-on-exec, a pipeline
// of three wasm processes, errno on bad input; fork/vfork/setjmp with asyncify (route wasix-async).
// Programs resolve in the sandbox's filesystem view, so the fixture is copied into the preopened dir.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ensureFixtures, fixture, interesting, rm, runHost, tempDir } from './helpers/fixtures.mjs';
import { weft } from './helpers/run.mjs';
import { watFile } from './helpers/wat.mjs';

before(() => ensureFixtures('wasix', 'wasix-async'), { timeout: 600_000 });

/** Copies the fixture into a fresh sandbox at /sandbox/bin/<name>.wasm and runs it there. */
async function inSandbox(route, name, args, o = {}) {
  const dir = tempDir();
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(fixture(route, name), path.join(dir, 'bin', `${name}.wasm`));
    const r = await runHost(path.join(dir, 'bin', `${name}.wasm`), args(`/sandbox/bin/${name}.wasm`), { dir, ...o });
    return { ...r, dir };
  } finally {
    rm(dir);
  }
}

test('spawn: posix_spawn, waitpid, exit codes, signals, exec + CLOEXEC, a 3-process pipeline, errnos', async () => {
  const r = await inSandbox('wasix', 'spawn', (self) => ['main', self, '/sandbox']);
  assert.equal(interesting(r.stdout), 'count: 1000 lines 24890 bytes 2000 L\nspawn: 15 ok, 0 failed', r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 20000, `took ${r.ms} ms`);
});

test('spawn: --max-procs limits the process count (posix_spawn gets EAGAIN)', async () => {
  const r = await inSandbox('wasix', 'spawn', (self) => ['main', self, '/sandbox'], { weftArgs: ['--max-procs', '1'] });
  assert.match(r.stdout, /FAIL spawn\+wait exit code: p=-1 err=6\b/);
  assert.equal(r.code, 1);
});

test("spawn: the open file action is path_open's (symlinks, a read-only directory's rights, O_APPEND turned off)", async () => {
  const ro = tempDir();
  try {
    fs.writeFileSync(path.join(ro, 'r.txt'), 'read only');
    const r = await inSandbox('wasix', 'spawn_open', (self) => ['main', self], { weftArgs: ['--dir-ro', `${ro}::/ro`] });
    assert.equal(interesting(r.stdout), 'spawn_open: 7 ok, 0 failed', r.stdout + r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(path.join(ro, 'new.txt')));
  } finally {
    rm(ro);
  }
});

test('fork (asyncify): exit codes, copied memory, pipe across fork, threads, vfork+exec, SIGKILL, setjmp/longjmp', async () => {
  const r = await inSandbox('wasix-async', 'fork', (self) => ['main', self]);
  assert.equal(interesting(r.stdout), 'fork: 12 ok, 0 failed', r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 20000, `took ${r.ms} ms`);
});

test('fork of a module without asyncify fails with ENOTSUP; the program goes on', async () => {
  const r = await inSandbox('wasix', 'nofork', (self) => [self]);
  assert.equal(r.stdout, 'fork: -1 ENOTSUP\n', r.stderr);
  assert.equal(r.code, 0, r.stderr);
});

const E = { BADF: 8, CHILD: 12, FAULT: 21, INVAL: 28, NOENT: 44, NOTSUP: 58, SRCH: 71 };
const badInput = `(module
  (import "wasix_32v1" "proc_spawn2" (func $spawn (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "proc_join" (func $join (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "proc_exec3" (func $exec (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "proc_fork" (func $fork (param i32 i32) (result i32)))
  (import "wasix_32v1" "stack_checkpoint" (func $ckpt (param i32 i32) (result i32)))
  (import "wasix_32v1" "proc_signal" (func $kill (param i32 i32) (result i32)))
  (import "wasix_32v1" "proc_parent" (func $parent (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "/nope.wasm")
  (func $check (param $n i32) (param $ok i32) (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $n)))))
  (func $sp (param $name i32) (param $len i32) (param $ops i32) (param $nops i32) (param $ret i32) (result i32)
    (call $spawn (local.get $name) (local.get $len) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (local.get $ops) (local.get $nops) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (local.get $ret)))
  (func (export "_start")
    (call $check (i32.const 1) (i32.eq (call $sp (i32.const 70000) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 200)) (i32.const ${E.FAULT})))
    (call $check (i32.const 2) (i32.eq (call $sp (i32.const 100) (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 200)) (i32.const ${E.NOENT})))
    (call $check (i32.const 3) (i32.eq (call $sp (i32.const 100) (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 65534)) (i32.const ${E.FAULT})))
    (call $check (i32.const 4) (i32.eq (call $sp (i32.const 100) (i32.const 10) (i32.const 1001) (i32.const 1) (i32.const 200)) (i32.const ${E.INVAL})))
    (call $check (i32.const 5) (i32.eq (call $sp (i32.const 100) (i32.const 10) (i32.const 65520) (i32.const 1) (i32.const 200)) (i32.const ${E.FAULT})))
    (call $check (i32.const 6) (i32.eq (call $sp (i32.const 100) (i32.const 10) (i32.const 1024) (i32.const 0x7fffffff) (i32.const 200)) (i32.const ${E.INVAL})))
    ;; fd op with an unknown command, then dup2 from a closed fd
    (i32.store8 (i32.const 1024) (i32.const 9))
    (call $check (i32.const 7) (i32.eq (call $sp (i32.const 100) (i32.const 10) (i32.const 1024) (i32.const 1) (i32.const 200)) (i32.const ${E.INVAL})))
    (i32.store8 (i32.const 1024) (i32.const 1)) (i32.store (i32.const 1028) (i32.const 1)) (i32.store (i32.const 1032) (i32.const 77))
    (call $check (i32.const 8) (i32.eq (call $sp (i32.const 100) (i32.const 10) (i32.const 1024) (i32.const 1) (i32.const 200)) (i32.const ${E.BADF})))
    ;; waitpid: bad pointers, misaligned status, no children
    (call $check (i32.const 9) (i32.eq (call $join (i32.const 65532) (i32.const 0) (i32.const 300)) (i32.const ${E.FAULT})))
    (call $check (i32.const 10) (i32.eq (call $join (i32.const 400) (i32.const 0) (i32.const 301)) (i32.const ${E.INVAL})))
    (call $check (i32.const 11) (i32.eq (call $join (i32.const 400) (i32.const 0) (i32.const 300)) (i32.const ${E.CHILD})))
    ;; exec: missing program, name out of bounds (the process goes on)
    (call $check (i32.const 12) (i32.eq (call $exec (i32.const 100) (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const ${E.NOENT})))
    (call $check (i32.const 13) (i32.eq (call $exec (i32.const 65530) (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const ${E.FAULT})))
    ;; fork and setjmp need asyncify exports
    (call $check (i32.const 14) (i32.eq (call $fork (i32.const 1) (i32.const 500)) (i32.const ${E.NOTSUP})))
    (call $check (i32.const 15) (i32.eq (call $fork (i32.const 1) (i32.const 65534)) (i32.const ${E.FAULT})))
    (call $check (i32.const 16) (i32.eq (call $ckpt (i32.const 1004) (i32.const 600)) (i32.const ${E.INVAL})))
    (call $check (i32.const 17) (i32.eq (call $ckpt (i32.const 1008) (i32.const 600)) (i32.const ${E.NOTSUP})))
    ;; kill / getppid of missing processes, bad signal
    (call $check (i32.const 18) (i32.eq (call $kill (i32.const 12345) (i32.const 0)) (i32.const ${E.SRCH})))
    (call $check (i32.const 19) (i32.eq (call $kill (i32.const 1) (i32.const 99)) (i32.const ${E.INVAL})))
    (call $check (i32.const 20) (i32.eq (call $parent (i32.const 12345) (i32.const 700)) (i32.const ${E.SRCH})))
    (call $check (i32.const 21) (i32.eq (call $parent (i32.const 1) (i32.const 70000)) (i32.const ${E.FAULT})))
    (call $check (i32.const 22) (i32.eqz (call $parent (i32.const 1) (i32.const 700))))
    (call $check (i32.const 23) (i32.eqz (i32.load (i32.const 700))))
    (call $exit (i32.const 0))))`;

test('bad input to the process calls gives errnos (EFAULT, EINVAL, ENOENT, ECHILD, ENOTSUP, ESRCH), never a crash', async () => {
  const r = await weft(['run', await watFile(badInput, 'wasix-proc-bad')]);
  assert.equal(r.code, 0, `failed check ${r.code}\n${r.stderr}`);
});

test('the whole tree ends when the first process ends (a sleeping child does not hold the run)', async () => {
  const r = await inSandbox('wasix', 'spawn', (self) => ['leave', self]);
  assert.equal(r.code, 5, r.stderr);
  assert.ok(r.ms < 10000, `took ${r.ms} ms (the child sleeps 30 s)`);
});

test('orphans are reaped: grandchildren whose parent is gone do not fill a 3-process table', async () => {
  const r = await inSandbox('wasix', 'spawn', (self) => ['orphans', self], { weftArgs: ['--max-procs', '3'] });
  assert.equal(r.stdout, 'orphans: ok\n', r.stderr);
  assert.equal(r.code, 0, r.stderr);
});

test('--trace decodes spawn and waitpid calls', async () => {
  const r = await inSandbox('wasix', 'spawn', (self) => ['leave', self], { weftArgs: ['--trace'] });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /\[pid 1 tid 1\] [0-9.]+ proc_spawn2\([^)]*\) \{name="\/sandbox\/bin\/spawn\.wasm" argv="\/sandbox\/bin\/spawn\.wasm sleep ?" fd_ops=0\} = 0 </);
});

test('exec of the first process: the new program keeps the pid, fds and stdin; its exit code is the run\'s', async () => {
  const r = await inSandbox('wasix', 'spawn', (self) => ['execroot', self], { stdin: 'one\n6\n' });
  assert.equal(r.code, 6, r.stderr);
});

test('system() and popen("r") through a wasm /bin/sh (the sandbox mounted at /)', async () => {
  const dir = tempDir();
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(fixture('wasix', 'spawn'), path.join(dir, 'bin', 'sh'));
    const r = await weft(['run', '--dir', `${dir}::/`, path.join(dir, 'bin', 'sh'), 'shell'], { timeoutMs: 30000 });
    assert.equal(r.stdout, 'ok system() exit status\nok popen("r") reads the command\'s output\nshell: 2 ok, 0 failed\n', r.stderr);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    rm(dir);
  }
});
