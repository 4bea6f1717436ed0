// WASIX sockets in Chromium through weft/browser: the page has no host network, so sockets between the
// program's threads over 127.0.0.1 are linked in-process (the same fixtures as the Node tests), epoll
// works over them, and any other address is ENETUNREACH.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { browserSkipReason, launchChromium, openHarness, runInPage, startTestServer } from './helpers/browser.mjs';
import { ensureFixtures, fixture } from './helpers/fixtures.mjs';

const skip = browserSkipReason();

describe('WASIX sockets in Chromium (in-process loopback)', { skip }, () => {
  let server, browser, page;

  before(async () => {
    await ensureFixtures('wasix');
    server = await startTestServer();
    for (const name of ['tcp_echo', 'epoll_loop']) {
      server.route(`/cx/${name}.wasm`, fs.readFileSync(fixture('wasix', name)), 'application/wasm');
    }
    browser = await launchChromium();
    page = await openHarness(browser, server);
  }, { timeout: 600_000 });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('tcp_echo: acceptor thread, a serving thread per connection, 4 client threads, bytes checked', async () => {
    const r = await runInPage(page, '/cx/tcp_echo.wasm', { args: ['tcp_echo', 'threads', '4'] });
    assert.equal(r.exitCode, 0, r.error ?? r.stdout + r.stderr);
    assert.equal(r.stdout, 'echo: 4 clients x 100 round trips ok\n');
  });

  test('tcp_echo: main thread accepts, spawned threads serve', async () => {
    const r = await runInPage(page, '/cx/tcp_echo.wasm', { args: ['tcp_echo', 'main', '3'] });
    assert.equal(r.exitCode, 0, r.error ?? r.stdout + r.stderr);
    assert.equal(r.stdout, 'echo: 3 clients x 100 round trips ok\n');
  });

  test('epoll loop over a listener, clients, a pipe and stdin', async () => {
    const r = await runInPage(page, '/cx/epoll_loop.wasm', { args: ['epoll_loop'], stdin: 'page stdin' });
    assert.equal(r.exitCode, 0, r.error ?? r.stdout + r.stderr);
    const out = r.stdout.split('\n').filter((l) => l && !l.startsWith('ok '));
    assert.deepEqual(out, ['loop: 4 clients, 4 x 20 echoes, stdin 10 bytes, pipe quit', 'epoll_loop done: 10 ok, 0 bad']);
  });

  test('an address outside the page: ENETUNREACH', async () => {
    const r = await runInPage(page, '/cx/tcp_echo.wasm', { args: ['tcp_echo', 'unreach'] });
    assert.equal(r.exitCode, 0, r.error ?? r.stdout + r.stderr);
    assert.equal(r.stdout, 'connect 192.0.2.1: ENETUNREACH\n');
  });
});

describe('WASIX sockets in Chromium: a page connect hook', { skip }, () => {
  let server, browser, page;

  before(async () => {
    await ensureFixtures('wasix');
    server = await startTestServer();
    server.route('/cx/tcp_echo.wasm', fs.readFileSync(fixture('wasix', 'tcp_echo')), 'application/wasm');
    browser = await launchChromium();
    page = await openHarness(browser, server);
  }, { timeout: 600_000 });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Runs tcp_echo with a hook: 'echo' gives a stream that echoes (a TransformStream), 'refuse' rejects. */
  const withHook = (args, mode) => page.evaluate(async ({ args, mode }) => {
    const { run } = window.weft;
    const dec = new TextDecoder();
    let stdout = '';
    const calls = [];
    const { exitCode } = await run(fetch('/cx/tcp_echo.wasm'), {
      args,
      stdout: (b) => (stdout += dec.decode(b, { stream: true })), stderr: () => {},
      netConnect: async (host, port) => {
        calls.push(`${host}:${port}`);
        if (mode === 'refuse') throw new Error('no relay for that');
        const t = new TransformStream();
        return { readable: t.readable, writable: t.writable };
      },
    });
    return { exitCode, stdout, calls };
  }, { args, mode });

  test('connect() outside the page goes through the hook; bytes echo back, shutdown gives EOF', async () => {
    const r = await withHook(['tcp_echo', 'remote', '198.51.100.7', '7'], 'echo');
    assert.equal(r.exitCode, 0, r.stdout);
    assert.equal(r.stdout, 'remote: 20 round trips ok\n');
    assert.deepEqual(r.calls, ['198.51.100.7:7']);
  });

  test('a hook that rejects: ECONNREFUSED', async () => {
    const r = await withHook(['tcp_echo', 'remote', '198.51.100.7', '7'], 'refuse');
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout, 'remote: connect ECONNREFUSED\n');
  });

  test('loopback still stays in the page with a hook present', async () => {
    const r = await withHook(['tcp_echo', 'threads', '2'], 'echo');
    assert.equal(r.exitCode, 0, r.stdout);
    assert.equal(r.stdout, 'echo: 2 clients x 100 round trips ok\n');
    assert.deepEqual(r.calls, []);
  });
});
