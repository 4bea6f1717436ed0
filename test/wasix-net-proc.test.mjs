// Sockets across WASIX processes: socket fds inherited by fork, posix_spawn (dup2 onto stdin/stdout)
// and exec, close-on-exec honoured. The servers are wasm (test/fixtures/c/wasix-async/net_fork.c, which
// forks: asyncify route); the clients are Node sockets over 127.0.0.1, and every byte is checked.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ensureFixtures, fixture, interesting, rm, runHost, tempDir } from './helpers/fixtures.mjs';
import { startServer } from './helpers/run.mjs';

before(() => ensureFixtures('wasix-async'), { timeout: 600_000 });

/** Copies net_fork.wasm into a sandbox (spawn/exec find it there) and starts the CLI on it. */
function startForkServer(args) {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(fixture('wasix-async', 'net_fork'), path.join(dir, 'bin', 'net_fork.wasm'));
  const { port, exited } = startServer(['run', '--net', '--dir', `${dir}::/sandbox`,
    path.join(dir, 'bin', 'net_fork.wasm'), ...args]);
  return { port, exited: exited.then((r) => { rm(dir); return r; }) };
}

/** Sends `size` pattern bytes, half-closes, resolves with everything the server sent back. */
function exchange(port, size, seed) {
  return new Promise((resolve, reject) => {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 7 + seed * 13 + (i >> 8)) & 0xff;
    const got = [];
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      for (let at = 0; at < size; at += 8192) s.write(data.subarray(at, at + 8192));
      s.end();
    });
    s.on('data', (b) => got.push(b));
    s.on('error', reject);
    s.on('close', () => resolve({ sent: data, got: Buffer.concat(got) }));
  });
}

test('accept-then-fork: each connection served by a forked child, the parent closes its copy (6 clients)', async () => {
  const server = startForkServer(['fork', '6']);
  const port = await server.port;
  const rs = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => exchange(port, 20_000 + i * 30_000, i)));
  for (const r of rs) assert.ok(r.got.equals(r.sent), `echo differs (${r.got.length} of ${r.sent.length} bytes)`);
  const end = await server.exited;
  assert.equal(end.code, 0, end.out + end.err);
  assert.equal(interesting(end.out), `port ${port}\nfork-server: 6 served, 0 failed`);
  assert.ok(end.ms < 30_000, `took ${end.ms} ms`);
});

test('inetd style: posix_spawn with the connection dup2-ed onto stdin/stdout of a filter (4 clients)', async () => {
  const server = startForkServer(['inetd', '4', '/sandbox/bin/net_fork.wasm']);
  const port = await server.port;
  const rs = await Promise.all([0, 1, 2, 3].map((i) => exchange(port, 1000 + i * 50_000, i)));
  for (const r of rs) {
    const want = Buffer.from(r.sent.map((b) => (b + 1) & 0xff));
    assert.ok(r.got.equals(want), `filtered bytes differ (${r.got.length} of ${want.length} bytes)`);
  }
  const end = await server.exited;
  assert.equal(end.code, 0, end.out + end.err);
  assert.equal(interesting(end.out), `port ${port}\ninetd: 4 served, 0 failed`);
});

test('pre-fork: 2 forked workers accept on the inherited listener; every client served exactly once', async () => {
  const server = startForkServer(['prefork', '8']);
  const port = await server.port;
  const rs = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => exchange(port, 5000 + i * 1000, i)));
  const by = [0, 0];
  for (const r of rs) {
    const head = r.got.subarray(0, 3).toString();
    assert.match(head, /^w[01]:$/, 'reply starts with the worker id');
    by[Number(head[1])]++;
    assert.ok(r.got.subarray(3).equals(r.sent), `echo differs (${r.got.length - 3} of ${r.sent.length} bytes)`);
  }
  const end = await server.exited;
  assert.equal(end.code, 0, end.out + end.err);
  assert.equal(interesting(end.out), `port ${port}\nprefork: 8 served (w0 ${by[0]}, w1 ${by[1]}), 0 failed`);
});

test('close-on-exec sockets are closed in a spawned and in an exec-ed child (EBADF), others inherited; epoll fds cross fork', async () => {
  const dir = tempDir();
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(fixture('wasix-async', 'net_fork'), path.join(dir, 'bin', 'net_fork.wasm'));
    const r = await runHost(path.join(dir, 'bin', 'net_fork.wasm'), ['cloexec', '/sandbox/bin/net_fork.wasm'],
      { dir, weftArgs: ['--net'], timeoutMs: 60_000 });
    assert.equal(interesting(r.stdout), 'cloexec: 10 ok, 0 failed', r.stdout + r.stderr);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    rm(dir);
  }
});

test('inside the tree (in-process loopback): forked clients, connections served by forked and spawned children', async () => {
  const dir = tempDir();
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(fixture('wasix-async', 'net_fork'), path.join(dir, 'bin', 'net_fork.wasm'));
    const r = await runHost(path.join(dir, 'bin', 'net_fork.wasm'), ['tree', '4', '/sandbox/bin/net_fork.wasm'],
      { dir, weftArgs: ['--net'], timeoutMs: 60_000 });
    assert.equal(r.stdout, 'tree: 4 connections, 0 failed\n', r.stderr);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    rm(dir);
  }
});
