// WASIX C programs (wasix-libc from Debian, compiled by tools/build-fixtures.sh): pthreads, sync
// primitives, TLS, pthread_exit, futexes, thread_join, pipes, dup/dup2, getcwd/chdir, signals. Each runs
// under the CLI (host directory at /sandbox) and asserts exit code, output and a bounded run time;
// the file-touching ones also run against the in-memory filesystem.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureFixtures, fixture, interesting, rm, runHost, runMemfs, tempDir } from './helpers/fixtures.mjs';

before(() => ensureFixtures('wasix'), { timeout: 600_000 });

/** Runs a wasix fixture on a fresh host dir; returns the CLI result. */
async function host(name, args = []) {
  const dir = tempDir();
  try {
    return await runHost(fixture('wasix', name), args, { dir });
  } finally {
    rm(dir);
  }
}

function lines(stdout) {
  return stdout.split('\n').filter(Boolean);
}

test('threads64: 64 pthreads alive at once, all joined', async () => {
  const r = await host('threads64');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'threads64: 64 joined, sum=4032\n');
});

test('sync: mutex, condvar, barrier and rwlock under contention give exact totals', async () => {
  const r = await host('sync');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [
    'mutex: 200000', 'cond: 500500', 'barrier: 4 threads x 100 rounds ok',
    'rwlock: 4 readers 2 writers, writes=20000, torn=0', 'sync done',
  ]);
});

test('tls: __thread variables are per thread', async () => {
  const r = await host('tls');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'tls: 8 threads ok, main ok\n');
});

test('exit: pthread_exit (thread_exit) ends only its thread; cleanup handlers and TSD destructors run', async () => {
  const r = await host('exit');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [
    'exit: joined 42', 'exit: returned 7', 'exit: cleanup ran, dtor ran', 'exit: detached thread exited',
  ]);
});

test('futex: futex_wait timeouts, wake-ups, interop with memory.atomic.wait32, bad pointers', async () => {
  const r = await host('futex');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(interesting(r.stdout), 'futex done: 11 ok, 0 bad');
});

test('join: thread_id, thread_join on running/finished/nonsense tids, thread_sleep', async () => {
  const r = await host('join');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(interesting(r.stdout), 'join done: 11 ok, 0 bad');
});

test('pipe: 100 KiB through a pipe between two threads, EPIPE once the reader is closed', async () => {
  const r = await host('pipe');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ['pipe: 102400 bytes ok', 'pipe: EPIPE ok']);
});

test('signal: handlers via signal()/sigaction(), SIG_IGN, pthread_kill to another thread, setitimer', async () => {
  const r = await host('signal');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(lines(r.stdout), [
    'handler ran 10', 'sigaction handler ran 12', 'ignored SIGUSR1 ok',
    'pthread_kill handler ran in target thread', 'setitimer delivered periodic SIGALRM, cancel stopped it', 'signal done',
  ]);
});

for (const backend of ['host', 'memfs']) {
  const run = (name, args) => (backend === 'host' ? host(name, args) : runMemfs(fixture('wasix', name), args));

  test(`dup: dup/dup2/F_DUPFD/FD_CLOEXEC, shared offsets, stdout redirected to a file and back (${backend})`, async () => {
    const r = await run('dup', ['/sandbox']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(interesting(r.stdout), 'dup done: 16 ok, 0 bad');
  });

  test(`cwd: getcwd/chdir, relative paths resolve against the cwd (${backend})`, async () => {
    const r = await run('cwd', ['/sandbox']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(lines(interesting(r.stdout)), [
      'cwd: start /', 'cwd: /sandbox', 'cwd: /sandbox/cwd_sub', 'cwd done: 19 ok, 0 bad',
    ]);
    if (backend === 'memfs') assert.deepEqual(Object.keys(r.tree).filter((p) => p.startsWith('/sandbox/')), []);
  });
}
