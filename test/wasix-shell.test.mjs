// A real POSIX shell under weft (issue 17): Debian's dash built for WASIX with asyncify
// (tools/dash/build.sh), in a rootfs whose /bin holds small wasm programs (test/fixtures/c/bin), runs
// the scripts of helpers/shell-scripts.mjs; the host's native dash runs each one in an equivalent
// native rootfs (the same programs compiled natively). stdout and exit status must match (stderr too
// where the script says so). Through the CLI (`--dir ROOT::/`) and through run() with a MemoryFS at /.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { rm } from './helpers/fixtures.mjs';
import { makeRootfs, memfsSh, nativeSh, shellFixtures, weftSh } from './helpers/shell.mjs';
import { scripts } from './helpers/shell-scripts.mjs';
import { wat2wasm } from './helpers/wat.mjs';

before(() => shellFixtures(), { timeout: 900_000 });

const roots = [];
after(() => roots.forEach(rm));
function root(kind) {
  const r = makeRootfs(kind);
  roots.push(r);
  return r;
}


async function compare(s, run) {
  const native = await nativeSh(root('native'), s.script, { stdin: s.stdin });
  assert.equal(native.timedOut, false, 'the native run timed out');
  const w = await run(s);
  assert.equal(w.timedOut, false, `weft timed out; stdout so far:\n${w.stdout}\nstderr:\n${w.stderr}`);
  assert.equal(w.stdout, native.stdout, `stdout differs; weft stderr:\n${w.stderr}`);
  assert.equal(w.code, native.code, `exit status differs; weft stderr:\n${w.stderr}`);
  if (s.stderr) assert.equal(w.stderr, native.stderr, 'stderr differs');
}

for (const s of scripts) {
  test(`dash under weft (CLI) = native dash: ${s.name}`, () =>
    compare(s, (x) => weftSh(root('wasm'), x.script, { stdin: x.stdin, timeoutMs: 90_000 })));
}

// The same shell through the library, every file in a MemoryFS mounted at /.
const viaMemfs = ['a program file rewritten between runs runs its new content', 'pipelines', 'here-documents', 'redirections on fds 3-9 with exec', 'background jobs and wait', '/dev/null'];
for (const s of scripts.filter((x) => viaMemfs.includes(x.name))) {
  test(`dash under weft (run() + MemoryFS at /) = native dash: ${s.name}`, () =>
    compare(s, (x) => memfsSh(x.script, { stdin: x.stdin, timeoutMs: 90_000 })));
}

test('sanity: the rootfs shell is the wasm dash, and /bin programs run from it', async () => {
  const r = await weftSh(root('wasm'), 'echo "$0"; /bin/echo -n direct; echo; wc -c </bin/sh');
  assert.equal(r.code, 0, r.stderr);
  const [zero, direct, size] = r.stdout.split('\n');
  assert.equal(zero, 'sh');
  assert.equal(direct, 'direct');
  assert.ok(Number(size) > 100_000, `bin/sh is ${size} bytes`);
});

test('a program that cannot be linked fails each time it is run (127), also from a worker that validated it', async () => {
  // A worker that read and validated a program file sends only its identity the next time; the tree's
  // compile cache dropped the failed Module, so the coordinator reads the file again, and fails again.
  const r0 = root('wasm');
  fs.writeFileSync(path.join(r0, 'bin', 'bad'), await wat2wasm(`(module (import "env" "nope" (func))
    (memory (export "memory") 1) (func (export "_start") (call 0)))`));
  const r = await weftSh(r0, 'i=0; while [ $i -lt 10 ]; do bin/bad; echo "st $?"; i=$((i+1)); done; bin/echo done');
  assert.equal(r.stdout, 'st 127\n'.repeat(10) + 'done\n', r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.match(/weft: cannot start a program: .*env\.nope/g)?.length, 10, r.stderr);
});

test('a program started in a recycled memory sees it cleared, as a new one (a dirtied static byte reads 0 again)', async () => {
  // The tree keeps the memories of ended processes for the next programs of the same size; each run of
  // this program finds the byte at 1024 zero or exits 3, then sets it.
  const r0 = root('wasm');
  fs.writeFileSync(path.join(r0, 'bin', 'dirty'), await wat2wasm(`(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (import "env" "memory" (memory 1 1 shared))
    (func (export "_start")
      (if (i32.load8_u (i32.const 1024)) (then (call $exit (i32.const 3))))
      (i32.store8 (i32.const 1024) (i32.const 0xab))
      (call $exit (i32.const 0))))`));
  const r = await weftSh(r0, 'for i in 1 2 3 4 5 6; do bin/dirty; echo "st $?"; done');
  assert.equal(r.stdout, 'st 0\n'.repeat(6), r.stderr);
  assert.equal(r.code, 0, r.stderr);
});
