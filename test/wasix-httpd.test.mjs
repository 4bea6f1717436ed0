// A fork-per-connection HTTP server (test/fixtures/c/wasix-async/httpd.c: accept, fork, parse GET,
// headers with write(), the body with sendfile(), children reaped in a SIGCHLD handler) served to
// Node's http client: every byte checked, 200 sequential and 50 parallel requests, 404. And sendfile()
// itself (test/fixtures/c/wasix/sendfile.c): blocking, nonblocking, offsets, errnos.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ensureFixtures, fixture, interesting, rm, runHost, runMemfs, tempDir } from './helpers/fixtures.mjs';
import { startServer } from './helpers/run.mjs';

before(() => ensureFixtures('wasix', 'wasix-async'), { timeout: 600_000 });

const root = tempDir('weft-httpd-');
after(() => rm(root));
const files = {
  'index.html': Buffer.from('<!doctype html><title>weft</title><p>hello from a forked child\n'),
  'empty.txt': Buffer.alloc(0),
  'big.bin': crypto.randomBytes(3 * 1024 * 1024 + 17),
};
for (let i = 0; i < 10; i++) files[`f${i}.bin`] = crypto.randomBytes(1000 + i * 9000);
for (const [n, b] of Object.entries(files)) fs.writeFileSync(path.join(root, n), b);

/** One GET; resolves with { status, headers, body }. */
function get(port, p) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** The server for n connections; killed if still running after 3 minutes (a fork per request, under load). */
function start(n) {
  return startServer(['run', '--net', '--dir', `${root}::/srv`, fixture('wasix-async', 'httpd'), '/srv', String(n)], { timeoutMs: 180_000 });
}

async function expectFile(port, name) {
  const r = await get(port, `/${name}`);
  assert.equal(r.status, 200, `${name}: status ${r.status} ${r.body}`);
  assert.equal(Number(r.headers['content-length']), files[name].length, `${name}: content-length`);
  assert.ok(r.body.equals(files[name]), `${name}: ${r.body.length} bytes, want ${files[name].length}, or bytes differ`);
}

test('httpd: small, empty and 3 MB files byte-exact, 404, 400', async () => {
  const server = start(5);
  const port = await server.port;
  await expectFile(port, 'index.html');
  await expectFile(port, 'empty.txt');
  await expectFile(port, 'big.bin');
  const missing = await get(port, '/nope');
  assert.equal(missing.status, 404);
  const bad = await get(port, '/../etc/passwd');
  assert.equal(bad.status, 400);
  const end = await server.exited;
  assert.equal(end.code, 0, end.err);
  assert.match(end.out, /served 5, reaped 5\n$/);
});

test('httpd: 200 sequential requests', async () => {
  const server = start(200);
  const port = await server.port;
  for (let i = 0; i < 200; i++) await expectFile(port, `f${i % 10}.bin`);
  const end = await server.exited;
  assert.equal(end.code, 0, end.err);
  assert.match(end.out, /served 200, reaped 200\n$/);
});

test('httpd: 50 parallel requests', async () => {
  const server = start(50);
  const port = await server.port;
  await Promise.all(Array.from({ length: 50 }, (_, i) => expectFile(port, i % 7 === 0 ? 'big.bin' : `f${i % 10}.bin`)));
  const end = await server.exited;
  assert.equal(end.code, 0, end.err);
  assert.match(end.out, /served 50, reaped 50\n$/);
});

test('sendfile(): blocking, nonblocking (a part, then EAGAIN), offsets, end of file, errnos (CLI)', async () => {
  const dir = tempDir();
  try {
    const r = await runHost(fixture('wasix', 'sendfile'), ['/sandbox'], { dir, timeoutMs: 120_000 });
    assert.equal(interesting(r.stdout), 'sendfile done: 18 ok, 0 bad', r.stderr);
    assert.equal(r.code, 0);
  } finally {
    rm(dir);
  }
});

test('sendfile() from a MemoryFS file', async () => {
  const r = await runMemfs(fixture('wasix', 'sendfile'), ['/sandbox'], { timeoutMs: 120_000 });
  assert.equal(interesting(r.stdout), 'sendfile done: 18 ok, 0 bad', r.stderr);
  assert.equal(r.code, 0);
});
