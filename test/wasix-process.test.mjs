// WASIX processes (issue 11): posix_spawn with file actions, waitpid (any child, a pid, WNOHANG), exit
// codes and signals reported to the parent, kill between processes, exec with close-on-exec, a pipeline
// of three wasm processes, errno on bad input; fork/vfork/setjmp with asyncify (route wasix-async).
// Programs resolve in the sandbox's filesystem view, so the fixture is copied into the preopened dir.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ensureFixtures, fixture, interesting, rm, runHost, tempDir } from './helpers/fixtures.mjs';

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
  assert.equal(interesting(r.stdout), 'count: 1000 lines 24890 bytes 2000 L\nspawn: 13 ok, 0 failed', r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 20000, `took ${r.ms} ms`);
});

test('spawn: --max-procs limits the process count (posix_spawn gets EAGAIN)', async () => {
  const r = await inSandbox('wasix', 'spawn', (self) => ['main', self, '/sandbox'], { weftArgs: ['--max-procs', '1'] });
  assert.match(r.stdout, /FAIL spawn\+wait exit code: p=-1 err=6\b/);
  assert.equal(r.code, 1);
});

test('fork (asyncify): exit codes, copied memory, pipe across fork, threads, vfork+exec, SIGKILL, setjmp/longjmp', async () => {
  const r = await inSandbox('wasix-async', 'fork', (self) => ['main', self]);
  assert.equal(interesting(r.stdout), 'fork: 10 ok, 0 failed', r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 20000, `took ${r.ms} ms`);
});

test('fork of a module without asyncify fails with ENOTSUP; the program goes on', async () => {
  const r = await inSandbox('wasix', 'nofork', (self) => [self]);
  assert.equal(r.stdout, 'fork: -1 ENOTSUP\n', r.stderr);
  assert.equal(r.code, 0, r.stderr);
});
