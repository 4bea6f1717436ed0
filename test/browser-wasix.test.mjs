// WASIX and wasi-threads C programs in Chromium through weft/browser: the same kernel as on Node
// (pthreads over thread-spawn, futexes, pipes between threads, signals and the interval timer, the
// in-memory filesystem with getcwd/chdir), with the same output and exit codes as the Node tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { browserSkipReason, launchChromium, openHarness, runInPage, startTestServer } from './helpers/browser.mjs';
import { ensureFixtures, fixture } from './helpers/fixtures.mjs';

const skip = browserSkipReason();

describe('WASIX programs in Chromium', { skip }, () => {
  let server, browser, page;

  before(async () => {
    await ensureFixtures('wasix', 'threads', 'wasix-async');
    server = await startTestServer();
    for (const name of ['sync', 'pipe', 'signal', 'join', 'cwd', 'eventfd', 'rootfs']) {
      server.route(`/cx/${name}.wasm`, fs.readFileSync(fixture('wasix', name)), 'application/wasm');
    }
    server.route('/cx/spawn.wasm', fs.readFileSync(fixture('wasix', 'spawn')), 'application/wasm');
    server.route('/cx/fork.wasm', fs.readFileSync(fixture('wasix-async', 'fork')), 'application/wasm');
    server.route('/cx/net_fork.wasm', fs.readFileSync(fixture('wasix-async', 'net_fork')), 'application/wasm');
    server.route('/cx/counter.wasm', fs.readFileSync(fixture('threads', 'counter')), 'application/wasm');
    browser = await launchChromium();
    page = await openHarness(browser, server);
  }, { timeout: 600_000 });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const lines = (s) => s.split('\n').filter(Boolean);

  test('sync: mutex, condvar, barrier and rwlock totals', async () => {
    const r = await runInPage(page, '/cx/sync.wasm', { args: ['sync'] });
    assert.equal(r.exitCode, 0, r.error ?? r.stderr);
    assert.deepEqual(lines(r.stdout), [
      'mutex: 200000', 'cond: 500500', 'barrier: 4 threads x 100 rounds ok',
      'rwlock: 4 readers 2 writers, writes=20000, torn=0', 'sync done',
    ]);
  });

  test('pipe between two threads, EPIPE', async () => {
    const r = await runInPage(page, '/cx/pipe.wasm', { args: ['pipe'] });
    assert.equal(r.exitCode, 0, r.error ?? r.stderr);
    assert.deepEqual(lines(r.stdout), ['pipe: 102400 bytes ok', 'pipe: EPIPE ok']);
  });

  test('signals, pthread_kill and setitimer', async () => {
    const r = await runInPage(page, '/cx/signal.wasm', { args: ['signal'] });
    assert.equal(r.exitCode, 0, r.error ?? r.stdout + r.stderr);
    assert.equal(lines(r.stdout).at(-1), 'signal done');
  });

  test('thread_join, thread_id, thread_sleep', async () => {
    const r = await runInPage(page, '/cx/join.wasm', { args: ['join'] });
    assert.equal(r.exitCode, 0, r.error ?? r.stdout + r.stderr);
    assert.equal(lines(r.stdout).at(-1), 'join done: 11 ok, 0 bad');
  });

  test('wasi-threads C counter (pthreads over wasi.thread-spawn)', async () => {
    const r = await runInPage(page, '/cx/counter.wasm', { args: ['counter'] });
    assert.equal(r.exitCode, 0, r.error ?? r.stdout + r.stderr);
  });

  // Processes: each one its own set of Web Workers and memory; programs found in the MemoryFS.
  const inMemfs = (name, args) => page.evaluate(async ({ name, args }) => {
    const { run, MemoryFS } = window.weft;
    const bytes = new Uint8Array(await (await fetch(`/cx/${name}.wasm`)).arrayBuffer());
    const memfs = new MemoryFS({ '/sandbox': null, '/sandbox/bin': null, [`/sandbox/bin/${name}.wasm`]: bytes });
    let stdout = '', stderr = '';
    const dec = new TextDecoder(), dec2 = new TextDecoder();
    const { exitCode } = await run(bytes, {
      args: [name, ...args], preopens: { '/sandbox': memfs.dir('/sandbox') },
      stdout: (b) => (stdout += dec.decode(b, { stream: true })), stderr: (b) => (stderr += dec2.decode(b, { stream: true })),
    });
    return { exitCode, stdout, stderr };
  }, { name, args });

  test('processes: posix_spawn, waitpid, kill, exec, a 3-process pipeline (MemoryFS)', async () => {
    const r = await inMemfs('spawn', ['main', '/sandbox/bin/spawn.wasm', '/sandbox']);
    assert.equal(lines(r.stdout).filter((l) => !l.startsWith('ok ')).join('\n'),
      'count: 1000 lines 24890 bytes 2000 L\nspawn: 15 ok, 0 failed', r.stderr);
    assert.equal(r.exitCode, 0, r.stderr);
  });

  test('processes: fork, vfork+exec, fork in a threaded program, setjmp/longjmp (asyncify)', async () => {
    const r = await inMemfs('fork', ['main', '/sandbox/bin/fork.wasm']);
    assert.equal(lines(r.stdout).at(-1), 'fork: 12 ok, 0 failed', r.stdout + r.stderr);
    assert.equal(r.exitCode, 0, r.stderr);
  });

  test('sockets inherited by fork and posix_spawn (in-process loopback between processes of the page)', async () => {
    const r = await inMemfs('net_fork', ['tree', '4', '/sandbox/bin/net_fork.wasm']);
    assert.equal(r.stdout, 'tree: 4 connections, 0 failed\n', r.stderr);
    assert.equal(r.exitCode, 0, r.stderr);
  });

  test('getcwd/chdir over the in-memory filesystem', async () => {
    const r = await page.evaluate(async () => {
      const { run, MemoryFS } = window.weft;
      const memfs = new MemoryFS({ '/sandbox': null });
      let stdout = '';
      const dec = new TextDecoder();
      const { exitCode } = await run(fetch('/cx/cwd.wasm'), {
        args: ['cwd', '/sandbox'], preopens: { '/sandbox': memfs.dir('/sandbox') },
        stdout: (b) => (stdout += dec.decode(b, { stream: true })), stderr: () => {},
      });
      return { exitCode, stdout, left: memfs.readdir('/sandbox') };
    });
    assert.equal(r.exitCode, 0, r.stdout);
    assert.equal(lines(r.stdout).at(-1), 'cwd done: 19 ok, 0 bad');
    assert.deepEqual(r.left, []);
  });

  test('eventfd with EFD_NONBLOCK / EFD_SEMAPHORE', async () => {
    const r = await runInPage(page, '/cx/eventfd.wasm', { args: ['eventfd'] });
    assert.equal(r.exitCode, 0, r.error ?? r.stdout + r.stderr);
    assert.equal(lines(r.stdout).at(-1), 'eventfd done: 19 ok, 0 bad');
  });

  test('a MemoryFS mounted at /: absolute paths, opendir("/"), absolute symlinks', async () => {
    const r = await page.evaluate(async () => {
      const { run, MemoryFS } = window.weft;
      const memfs = new MemoryFS({ '/in.txt': 'browser input\n' });
      let stdout = '';
      const dec = new TextDecoder();
      const { exitCode } = await run(fetch('/cx/rootfs.wasm'), {
        args: ['rootfs', '/in.txt', '/out.txt'], preopens: { '/': memfs.dir('/') },
        stdout: (b) => (stdout += dec.decode(b, { stream: true })), stderr: () => {},
      });
      return { exitCode, stdout, out: memfs.readText('/out.txt'), link: memfs.readlink('/tree/link') };
    });
    assert.equal(r.exitCode, 0, r.stdout);
    assert.equal(lines(r.stdout).at(-1), 'rootfs done: 17 ok, 0 bad');
    assert.ok(lines(r.stdout).includes('list /tree/a/b/deep.txt f'), r.stdout);
    assert.equal(r.out, 'browser input\n');
    assert.equal(r.link, '/tree/a');
  });
});
