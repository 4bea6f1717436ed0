// /dev in every process's root view (issue 17 point 1) and the preopens' fd numbers kept for path
// resolution when a program reuses them (point 3): test/fixtures/c/wasix/devfs.c and fdreuse.c, through
// the CLI, through run() with a MemoryFS, and on a terminal (util-linux `script` gives the run a pty).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureFixtures, fixture, interesting, rm, runHost, runMemfs, tempDir } from './helpers/fixtures.mjs';
import { cli, weft } from './helpers/run.mjs';
import { shellFixtures, shWasm } from './helpers/shell.mjs';

before(async () => {
  await ensureFixtures('wasix');
  await shellFixtures();
}, { timeout: 900_000 });

test('/dev: null, zero, full, random, fd/N (dup), stdin/stdout, listing, no tty without a terminal (CLI)', async () => {
  const dir = tempDir();
  try {
    const r = await runHost(fixture('wasix', 'devfs'), ['/sandbox'], { dir, stdin: 'stdin line\n', timeoutMs: 60_000 });
    assert.equal(interesting(r.stdout), 'via /dev/stdout\ndevfs done: 24 ok, 0 bad', r.stderr);
    assert.equal(r.code, 0);
  } finally {
    rm(dir);
  }
});

test('/dev through run() with a MemoryFS preopen', async () => {
  const r = await runMemfs(fixture('wasix', 'devfs'), ['/sandbox'], { stdin: 'stdin line\n', timeoutMs: 60_000 });
  assert.equal(interesting(r.stdout), 'via /dev/stdout\ndevfs done: 24 ok, 0 bad', r.stderr);
  assert.equal(r.code, 0);
});

test('/dev/tty when stdin is a terminal: opens, isatty, writes reach the terminal', async () => {
  const dir = tempDir();
  try {
    const cmd = [process.execPath, cli, 'run', '--dir', `${dir}::/sandbox`, fixture('wasix', 'devfs'), '/sandbox', 'tty']
      .map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.stdin.write('stdin line\n'); // through the pty's line discipline: also echoed
    const code = await new Promise((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (c) => { clearTimeout(t); resolve(c); });
    });
    child.stdin.destroy();
    const lines = out.replace(/\r/g, '').split('\n').filter((l) => l && !/^(ok |stdin line$)/.test(l));
    assert.deepEqual(lines, ['via /dev/stdout', 'via /dev/tty', 'devfs done: 26 ok, 0 bad'], out);
    assert.equal(code, 0);
  } finally {
    rm(dir);
  }
});

test("a user's own /dev replaces weft's; run({ dev: false }) has none", async () => {
  const root = tempDir(), dev = tempDir();
  try {
    fs.mkdirSync(path.join(root, 'bin'));
    fs.copyFileSync(shWasm(), path.join(root, 'bin', 'sh'));
    fs.writeFileSync(path.join(dev, 'hello'), 'mine\n');
    const script = 'read x </dev/hello; echo "$x"; [ -e /dev/null ] || echo no-null';
    const r = await weft(['run', '--dir', `${root}::/`, '--dir', `${dev}::/dev`, shWasm(), '-c', script], { timeoutMs: 60_000 });
    assert.equal(r.stdout, 'mine\nno-null\n', r.stderr);
    assert.equal(r.code, 0);
    const probe = 'if [ -c /dev/null ]; then echo has-null; fi; [ -d /dev ] || echo no-dev';
    const on = await runMemfs(shWasm(), ['-c', probe], { mount: '/', root: '/', files: { '/tmp': null }, timeoutMs: 60_000 });
    assert.equal(on.stdout, 'has-null\n', on.stderr);
    const off = await runMemfs(shWasm(), ['-c', probe], { mount: '/', root: '/', files: { '/tmp': null }, dev: false, timeoutMs: 60_000 });
    assert.equal(off.stdout, 'no-dev\n', off.stderr);
  } finally {
    rm(root);
    rm(dev);
  }
});

test('preopen numbers: dup2 onto 3, close(3), a spawned child with fd 3 = a pipe all keep paths resolving', async () => {
  const dir = tempDir();
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(fixture('wasix', 'fdreuse'), path.join(dir, 'bin', 'fdreuse.wasm'));
    const r = await runHost(path.join(dir, 'bin', 'fdreuse.wasm'), ['main', '/sandbox/bin/fdreuse.wasm', '/sandbox'], { dir, timeoutMs: 60_000 });
    assert.equal(interesting(r.stdout), 'fdreuse done: 14 ok, 0 bad', r.stderr);
    assert.equal(r.code, 0);
    assert.equal(fs.readFileSync(path.join(dir, 'reuse-a.txt'), 'utf8'), 'via3');
  } finally {
    rm(dir);
  }
});

test('preopen numbers with a MemoryFS preopen', async () => {
  const r = await runMemfs(fixture('wasix', 'fdreuse'), ['main', '/sandbox/fdreuse.wasm', '/sandbox'], {
    hostFiles: { '/sandbox/fdreuse.wasm': fixture('wasix', 'fdreuse') }, timeoutMs: 60_000,
  });
  assert.equal(interesting(r.stdout), 'fdreuse done: 14 ok, 0 bad', r.stderr);
  assert.equal(r.tree['/sandbox/reuse-a.txt']?.content, 'via3');
});
