// issue 17 in Chromium through weft/browser: /dev (test/fixtures/c/wasix/devfs.c) and Debian's dash running
// scripts in a MemoryFS mounted at / with its /bin programs, each compared with the host's native dash
// running the same script (helpers/shell.mjs), as the Node tests do.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { browserSkipReason, launchChromium, openHarness, startTestServer } from './helpers/browser.mjs';
import { ensureFixtures, fixture, fixtureDir, rm } from './helpers/fixtures.mjs';
import { BIN, makeRootfs, nativeSh, shellFixtures, shWasm } from './helpers/shell.mjs';
import { scripts } from './helpers/shell-scripts.mjs';

const skip = browserSkipReason();

describe('a POSIX shell and /dev in Chromium', { skip }, () => {
  let server, browser, page;
  const roots = [];

  before(async () => {
    await ensureFixtures('wasix');
    await shellFixtures();
    server = await startTestServer();
    server.route('/sh/devfs.wasm', fs.readFileSync(fixture('wasix', 'devfs')), 'application/wasm');
    server.route('/sh/sh.wasm', fs.readFileSync(shWasm()), 'application/wasm');
    for (const p of BIN) server.route(`/sh/${p}.wasm`, fs.readFileSync(`${fixtureDir}/bin/${p}.wasm`), 'application/wasm');
    browser = await launchChromium();
    page = await openHarness(browser, server);
  }, { timeout: 900_000 });

  after(async () => {
    await browser?.close();
    await server?.close();
    roots.forEach(rm);
  });

  test('/dev: null, zero, full, random, fd/N, stdin/stdout, listing (MemoryFS preopen)', async () => {
    const r = await page.evaluate(async () => {
      const { run, MemoryFS } = window.weft;
      const memfs = new MemoryFS({ '/sandbox': null });
      let stdout = '', stderr = '';
      const dec = new TextDecoder(), dec2 = new TextDecoder();
      const { exitCode } = await run(fetch('/sh/devfs.wasm'), {
        args: ['devfs', '/sandbox'], preopens: { '/sandbox': memfs.dir('/sandbox') }, stdin: 'stdin line\n',
        stdout: (b) => (stdout += dec.decode(b, { stream: true })), stderr: (b) => (stderr += dec2.decode(b, { stream: true })),
      });
      return { exitCode, stdout, stderr };
    });
    const rest = r.stdout.split('\n').filter((l) => l && !l.startsWith('ok ')).join('\n');
    assert.equal(rest, 'via /dev/stdout\ndevfs done: 24 ok, 0 bad', r.stderr);
    assert.equal(r.exitCode, 0);
  });

  /** Runs `script` with dash in the page: a MemoryFS at / with bin/sh and the programs, stdin text. */
  const dashInPage = (script, stdin) => page.evaluate(async ({ script, stdin, bin }) => {
    const { run, MemoryFS } = window.weft;
    const files = { '/bin': null, '/tmp': null };
    for (const p of ['sh', ...bin]) files[`/bin/${p}`] = new Uint8Array(await (await fetch(`/sh/${p}.wasm`)).arrayBuffer());
    const memfs = new MemoryFS(files);
    let stdout = '', stderr = '';
    const dec = new TextDecoder(), dec2 = new TextDecoder();
    const { exitCode } = await run(files['/bin/sh'], {
      args: ['sh', '-c', script], env: { PATH: '/bin' }, preopens: { '/': memfs.dir('/') }, stdin: stdin ?? '',
      stdout: (b) => (stdout += dec.decode(b, { stream: true })), stderr: (b) => (stderr += dec2.decode(b, { stream: true })),
    });
    return { exitCode, stdout, stderr };
  }, { script, stdin, bin: BIN });

  const inBrowser = ['pipelines', 'command substitution', 'here-documents', 'redirections on fds 3-9 with exec',
    'background jobs and wait', 'trap CHLD', '/dev/null', 'exit statuses'];
  for (const s of scripts.filter((x) => inBrowser.includes(x.name))) {
    test(`dash in Chromium = native dash: ${s.name}`, { timeout: 180_000 }, async () => {
      const root = makeRootfs('native');
      roots.push(root);
      const native = await nativeSh(root, s.script, { stdin: s.stdin });
      const r = await dashInPage(s.script, s.stdin);
      assert.equal(r.stdout, native.stdout, `stdout differs; stderr:\n${r.stderr}`);
      assert.equal(r.exitCode, native.code, `exit status differs; stderr:\n${r.stderr}`);
    });
  }
});
