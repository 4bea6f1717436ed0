// WASIX networking (issue 10): wasix-libc C programs using sockets over 127.0.0.1, run by the CLI.
// Threaded echo servers and clients with every byte checked, a Node net client talking to a weft
// server, nonblocking connect + poll, errno values of wrong states / bad fds / bad pointers, UDP,
// getaddrinfo, epoll event loops, and the network permission flags.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { ensureFixtures, fixture, interesting } from './helpers/fixtures.mjs';
import { cli, startServer, weft } from './helpers/run.mjs';
import { watFile } from './helpers/wat.mjs';

before(() => ensureFixtures('wasix'), { timeout: 600_000 });

const run = (name, args, weftArgs = ['--net'], timeoutMs = 60_000) =>
  weft(['run', ...weftArgs, fixture('wasix', name), ...args], { timeoutMs });

test('tcp_echo: acceptor thread + a serving thread per connection, 4 client threads x 100 round trips', async () => {
  const r = await run('tcp_echo', ['threads', '4']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, 'echo: 4 clients x 100 round trips ok\n');
});

test('tcp_echo: main thread accepts, spawned threads serve, 8 clients', async () => {
  const r = await run('tcp_echo', ['main', '8']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, 'echo: 8 clients x 100 round trips ok\n');
});

test('a blocked reader is woken by the writer, not by its wait slice: 1 client x 100 round trips in well under 100 x 200 ms', async () => {
  // Each of the 200 waits here would last a whole 200 ms wait slice if a send skipped the wake-up of a
  // parked reader (notify only when SEQ_WAITERS says someone waits): 40 s. Normally about a second.
  const t0 = performance.now();
  const r = await run('tcp_echo', ['threads', '1']);
  const ms = performance.now() - t0;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, 'echo: 1 clients x 100 round trips ok\n');
  assert.ok(ms < 15_000, `took ${Math.round(ms)} ms`);
});

test('network is off by default: socket() fails with EACCES, logged with --trace', async () => {
  const r = await run('tcp_echo', ['threads', '1'], ['--trace']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL socket: errno=EACCES/);
  assert.match(r.stderr, /network socket not allowed/);
});

test('--net-allow: listed addresses work, others are EACCES', async () => {
  const ok = await run('tcp_echo', ['threads', '2'], ['--net-allow', '127.0.0.1:*']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(ok.stdout, 'echo: 2 clients x 100 round trips ok\n');
  const denied = await run('tcp_echo', ['threads', '1'], ['--net-allow', '10.1.2.3:80']);
  assert.equal(denied.code, 1);
  assert.match(denied.stdout, /FAIL bind\/listen: errno=EACCES/);
});

test('net_misc: nonblocking connect + poll, EAGAIN, timeouts, refused, wrong states, bad pointers, UDP, getaddrinfo', async () => {
  const r = await run('net_misc', []);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(interesting(r.stdout), 'net_misc done: 54 ok, 0 bad');
});

/** Runs `weft run --net tcp_echo serve N` (see helpers/run.mjs startServer). */
const startEcho = (n) => startServer(['run', '--net', fixture('wasix', 'tcp_echo'), 'serve', String(n)]);

/** Sends `size` pattern bytes in chunks, reads them all back, then ends; resolves with the echo. */
function echoThrough(port, size, seed) {
  return new Promise((resolve, reject) => {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + seed + (i >> 9)) & 0xff;
    const got = [];
    let n = 0;
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      for (let at = 0; at < size; at += 10_000) s.write(data.subarray(at, at + 10_000));
    });
    s.on('data', (b) => {
      got.push(b);
      n += b.length;
      if (n >= size) s.end();
    });
    s.on('error', reject);
    s.on('close', () => resolve({ sent: data, got: Buffer.concat(got) }));
  });
}

test('a Node net client talks to a weft server (2 connections x 300 KB, served by wasm threads)', async () => {
  const server = startEcho(2);
  const port = await server.port;
  const results = await Promise.all([echoThrough(port, 300_000, 1), echoThrough(port, 300_000, 2)]);
  for (const r of results) assert.ok(r.got.equals(r.sent), `echo differs (${r.got.length} of ${r.sent.length} bytes)`);
  const end = await server.exited;
  assert.equal(end.code, 0, end.out + end.err);
});

test('epoll_loop: one epoll loop over a listener, 4 clients, a pipe and stdin; epoll_wait woken from another thread', async () => {
  const r = await weft(['run', '--net', fixture('wasix', 'epoll_loop')], { stdin: 'hello from stdin', timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(interesting(r.stdout).split('\n'), [
    'loop: 4 clients, 4 x 20 echoes, stdin 16 bytes, pipe quit', 'epoll_loop done: 10 ok, 0 bad',
  ]);
});

/** A port that was free a moment ago (the kernel picks it; the socket is closed again). */
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test('preview1 --tcp-listen: sock_accept/sock_recv/sock_send/sock_shutdown on a preopened listener', async () => {
  await ensureFixtures('wasi');
  const port = await freePort();
  const child = spawn(process.execPath, [cli, 'run', '--tcp-listen', `127.0.0.1:${port}`, fixture('wasi', 'tcp_listen'), '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (err += b));
  const exited = new Promise((resolve) => child.on('close', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  // The socket listens before the program starts; retry only while the CLI is still booting.
  const connectOnce = () => new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.end(`hello ${port}`));
    let d = '';
    s.on('data', (b) => (d += b));
    s.on('error', reject);
    s.on('close', () => resolve(d));
  });
  const echo = async () => {
    for (let i = 0; ; i++) {
      try {
        return await connectOnce();
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  assert.equal(await echo(), `hello ${port}`);
  assert.equal(await echo(), `hello ${port}`);
  const code = await exited;
  clearTimeout(timer);
  assert.equal(code, 0, out + err);
  assert.deepEqual(out.split('\n').filter(Boolean), [
    'listener fd 3', 'ok sock_accept on stdout: ENOTSOCK', 'ok sock_shutdown on a closed fd: EBADF',
    'ok sock_accept bad pointer: EFAULT', 'served 2',
  ]);
});

test('--tcp-listen on a port in use fails before the program runs', async () => {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  try {
    await ensureFixtures('wasi');
    const r = await weft(['run', '--tcp-listen', `127.0.0.1:${s.address().port}`, fixture('wasi', 'tcp_listen')]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /cannot listen on port \d+: ADDRINUSE/);
  } finally {
    s.close();
  }
});

test('library: run() with net: true (and without) — and the host process exits by itself afterwards', async () => {
  // In a child process, so that a socket or handle left open would show up as a process that never exits.
  const script = `
    import { run } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
    const wasm = ${JSON.stringify(fixture('wasix', 'tcp_echo'))};
    let out = '';
    const stdout = (b) => (out += Buffer.from(b).toString());
    const { exitCode: on } = await run(wasm, { args: ['tcp_echo', 'threads', '2'], net: true, stdout });
    const { exitCode: allowed } = await run(wasm, { args: ['tcp_echo', 'main', '1'], net: ['localhost:*'], stdout });
    const { exitCode: off } = await run(wasm, { args: ['tcp_echo', 'threads', '1'], stdout });
    console.log(JSON.stringify({ on, allowed, off, out }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (err += b));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, err);
  const r = JSON.parse(out);
  assert.deepEqual([r.on, r.allowed, r.off], [0, 0, 1]);
  assert.equal(r.out, 'echo: 2 clients x 100 round trips ok\necho: 1 clients x 100 round trips ok\nFAIL socket: errno=EACCES\n');
});

test('net_exit: exit() while threads block in accept, recv and epoll_wait ends the process at once', async () => {
  const r = await run('net_exit', [], ['--net'], 20_000);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.equal(r.stdout, 'blocked 3 threads, exiting\n');
  assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
});

// Every socket/epoll/resolve import called from WAT with bad pointers, bad fds, wrong fd kinds and wrong
// socket states: each returns its errno (checked one by one; the program exits with the index of the
// first mismatch), never a host exception or a crashed worker.
const NET_IMPORTS = `
  (import "env" "memory" (memory 1 1 shared))
  (import "wasix_32v1" "sock_open" (func $sock_open (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_pair" (func $sock_pair (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_bind" (func $sock_bind (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_listen" (func $sock_listen (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_accept_v2" (func $sock_accept_v2 (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_connect" (func $sock_connect (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_recv_from" (func $sock_recv_from (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_send_to" (func $sock_send_to (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_status" (func $sock_status (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_addr_local" (func $sock_addr_local (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_addr_peer" (func $sock_addr_peer (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_set_opt_flag" (func $sock_set_opt_flag (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_get_opt_flag" (func $sock_get_opt_flag (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_set_opt_time" (func $sock_set_opt_time (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_get_opt_time" (func $sock_get_opt_time (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_set_opt_size" (func $sock_set_opt_size (param i32 i32 i64) (result i32)))
  (import "wasix_32v1" "sock_get_opt_size" (func $sock_get_opt_size (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "resolve" (func $resolve (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "epoll_create" (func $epoll_create (param i32) (result i32)))
  (import "wasix_32v1" "epoll_ctl" (func $epoll_ctl (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "epoll_wait" (func $epoll_wait (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $check (param $n i32) (param $ok i32) (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $n)))))
`;
/** [call, expected errno]; memory: fds at 100 (TCP), 104 (UDP), 108 (epoll); iovec at 1000; "localhost" at 1200. */
const NET_CHECKS = [
  ["(call $sock_pair (i32.const 3) (i32.const 1) (i32.const 0) (i32.const 65536) (i32.const 112))", 21],
  ["(call $sock_pair (i32.const 3) (i32.const 1) (i32.const 0) (i32.const 112) (i32.const 65534))", 21],
  ["(call $sock_pair (i32.const 3) (i32.const 2) (i32.const 0) (i32.const 112) (i32.const 116))", 58],
  ["(call $sock_pair (i32.const 9) (i32.const 1) (i32.const 0) (i32.const 112) (i32.const 116))", 5],
  ["(call $sock_open (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 65536))", 21],
  ["(call $sock_open (i32.const 9) (i32.const 1) (i32.const 0) (i32.const 100))", 5],
  ["(call $sock_open (i32.const 1) (i32.const 9) (i32.const 0) (i32.const 100))", 58],
  ["(call $sock_open (i32.const 1) (i32.const 1) (i32.const 99) (i32.const 100))", 66],
  ["(call $sock_open (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 100))", 0],
  ["(call $sock_open (i32.const 1) (i32.const 2) (i32.const 0) (i32.const 104))", 0],
  ["(call $epoll_create (i32.const 108))", 0],
  ["(call $sock_bind (i32.load (i32.const 100)) (i32.const 65534))", 21],
  ["(call $sock_bind (i32.const 999) (i32.const 200))", 8],
  ["(call $sock_bind (i32.const 1) (i32.const 200))", 57],
  ["(call $sock_listen (i32.const 999) (i32.const 1))", 8],
  ["(call $sock_listen (i32.const 1) (i32.const 1))", 57],
  ["(call $sock_listen (i32.load (i32.const 104)) (i32.const 1))", 58],
  ["(call $sock_accept_v2 (i32.load (i32.const 100)) (i32.const 0) (i32.const 65536) (i32.const 300))", 21],
  ["(call $sock_accept_v2 (i32.load (i32.const 100)) (i32.const 0) (i32.const 300) (i32.const 65526))", 21],
  ["(call $sock_accept_v2 (i32.load (i32.const 100)) (i32.const 0) (i32.const 300) (i32.const 400))", 28],
  ["(call $sock_accept_v2 (i32.const 999) (i32.const 0) (i32.const 300) (i32.const 400))", 8],
  ["(call $sock_connect (i32.load (i32.const 100)) (i32.const 65535))", 21],
  ["(call $sock_connect (i32.const 999) (i32.const 200))", 8],
  ["(call $sock_recv (i32.load (i32.const 100)) (i32.const 65532) (i32.const 1) (i32.const 0) (i32.const 300) (i32.const 304))", 21],
  ["(call $sock_recv (i32.load (i32.const 100)) (i32.const 1000) (i32.const 1) (i32.const 0) (i32.const 65536) (i32.const 304))", 21],
  ["(call $sock_recv (i32.load (i32.const 100)) (i32.const 1000) (i32.const 0x40000000) (i32.const 0) (i32.const 300) (i32.const 304))", 21],
  ["(call $sock_recv (i32.const 999) (i32.const 1000) (i32.const 1) (i32.const 0) (i32.const 300) (i32.const 304))", 8],
  ["(call $sock_recv (i32.load (i32.const 100)) (i32.const 1000) (i32.const 1) (i32.const 0) (i32.const 300) (i32.const 304))", 53],
  ["(call $sock_recv_from (i32.load (i32.const 100)) (i32.const 1000) (i32.const 1) (i32.const 0) (i32.const 300) (i32.const 304) (i32.const 65531))", 21],
  ["(call $sock_send (i32.load (i32.const 100)) (i32.const 65532) (i32.const 1) (i32.const 0) (i32.const 300))", 21],
  ["(call $sock_send (i32.load (i32.const 100)) (i32.const 1000) (i32.const 1) (i32.const 0) (i32.const 65536))", 21],
  ["(call $sock_send (i32.load (i32.const 100)) (i32.const 1000) (i32.const 1) (i32.const 0) (i32.const 300))", 53],
  ["(call $sock_send_to (i32.load (i32.const 104)) (i32.const 1000) (i32.const 1) (i32.const 0) (i32.const 65533) (i32.const 300))", 21],
  ["(call $sock_shutdown (i32.load (i32.const 100)) (i32.const 0))", 28],
  ["(call $sock_shutdown (i32.load (i32.const 100)) (i32.const 2))", 53],
  ["(call $sock_shutdown (i32.const 999) (i32.const 2))", 8],
  ["(call $sock_status (i32.load (i32.const 100)) (i32.const 65536))", 21],
  ["(call $sock_addr_local (i32.load (i32.const 100)) (i32.const 65526))", 21],
  ["(call $sock_addr_peer (i32.load (i32.const 100)) (i32.const 500))", 53],
  ["(call $sock_set_opt_flag (i32.load (i32.const 100)) (i32.const 200) (i32.const 1))", 28],
  ["(call $sock_set_opt_flag (i32.load (i32.const 100)) (i32.const 2) (i32.const 7))", 28],
  ["(call $sock_get_opt_flag (i32.load (i32.const 100)) (i32.const 2) (i32.const 65536))", 21],
  ["(call $sock_set_opt_time (i32.load (i32.const 100)) (i32.const 19) (i32.const 65528))", 21],
  ["(call $sock_get_opt_time (i32.load (i32.const 100)) (i32.const 19) (i32.const 65528))", 21],
  ["(call $sock_set_opt_size (i32.load (i32.const 100)) (i32.const 23) (i64.const 0))", 28],
  ["(call $sock_get_opt_size (i32.load (i32.const 100)) (i32.const 15) (i32.const 65532))", 21],
  ["(call $resolve (i32.const 65534) (i32.const 10) (i32.const 0) (i32.const 600) (i32.const 4) (i32.const 700))", 21],
  ["(call $resolve (i32.const 1200) (i32.const 9) (i32.const 0) (i32.const 65526) (i32.const 4) (i32.const 700))", 21],
  ["(call $resolve (i32.const 1200) (i32.const 9) (i32.const 0) (i32.const 600) (i32.const 4) (i32.const 65536))", 21],
  ["(call $epoll_create (i32.const 65536))", 21],
  ["(call $epoll_ctl (i32.const 999) (i32.const 1) (i32.const 1) (i32.const 800))", 8],
  ["(call $epoll_ctl (i32.const 1) (i32.const 1) (i32.const 1) (i32.const 800))", 28],
  ["(call $epoll_ctl (i32.load (i32.const 108)) (i32.const 1) (i32.const 999) (i32.const 800))", 8],
  ["(call $epoll_ctl (i32.load (i32.const 108)) (i32.const 1) (i32.const 1) (i32.const 65528))", 21],
  ["(call $epoll_ctl (i32.load (i32.const 108)) (i32.const 7) (i32.const 1) (i32.const 800))", 28],
  ["(call $epoll_wait (i32.load (i32.const 108)) (i32.const 65520) (i32.const 1) (i64.const 0) (i32.const 900))", 21],
  ["(call $epoll_wait (i32.load (i32.const 108)) (i32.const 800) (i32.const 0) (i64.const 0) (i32.const 900))", 28],
  ["(call $epoll_wait (i32.load (i32.const 108)) (i32.const 800) (i32.const 1) (i64.const 0) (i32.const 65536))", 21],
  ["(call $epoll_wait (i32.const 999) (i32.const 800) (i32.const 1) (i64.const 0) (i32.const 900))", 8],
  ["(call $read (i32.load (i32.const 100)) (i32.const 1000) (i32.const 1) (i32.const 300))", 53],
  ["(call $write (i32.load (i32.const 100)) (i32.const 1000) (i32.const 1) (i32.const 300))", 53]
];

test('every socket, epoll and resolve call: bad pointers, bad fds, wrong kinds and states give their errno', async () => {
  const body = NET_CHECKS.map(([call, errno], i) => `    (call $check (i32.const ${i + 1}) (i32.eq ${call} (i32.const ${errno})))`).join('\n');
  const src = `(module ${NET_IMPORTS}
  (data (i32.const 1200) "localhost")
  (func (export "_start")
    (i32.store (i32.const 1000) (i32.const 2000)) (i32.store (i32.const 1004) (i32.const 16))
${body}
    (call $exit (i32.const 0))))`;
  const r = await weft(['run', '--net', await watFile(src, 'wasix-net-bad')], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `check ${r.code} failed: ${NET_CHECKS[r.code - 1]?.join(' -> expected ')}\n${r.stderr}`);
  assert.equal(r.stderr, '');
});
