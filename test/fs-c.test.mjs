// The C fixtures (test/fixtures/c/{wasi,threads}, see tools/README.md) under weft, against both
// filesystem backends: a fresh host directory preopened through the CLI (--dir), and a MemoryFS
// directory preopened through run() (in a child process, helpers/memfs-run.mjs). Every case asserts
// the exit code, the fixture's key output lines, that it ended within a bound, and that nothing
// outside the preopened directory changed.
//
// Layout in both worlds: <T>/sandbox is preopened as /sandbox, <T>/keep.txt sits next to it (a decoy
// outside); the MemoryFS also holds /etc/passwd and /tmp, the targets of the escaping symlinks.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SANDBOX_LINKS, makeSandboxLinks } from '../tools/sandbox-links.mjs';
import { ensureFixtures, fixture, hostTree, interesting, rm, runHost, runMemfs, tempDir } from './helpers/fixtures.mjs';

before(() => ensureFixtures('wasi', 'threads'), { timeout: 20 * 60_000 });

const KEEP = 'outside the sandbox: must survive\n';

/** The host backend: a fresh <T>/sandbox through `weft run --dir`. */
const host = {
  name: 'host dir',
  async run(wasm, args, o = {}) {
    const t = tempDir();
    const dir = path.join(t, 'sandbox');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(t, 'keep.txt'), KEEP);
    try {
      if (o.hostLinks) makeSandboxLinks(dir);
      const weftArgs = Object.entries(o.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
      const r = await runHost(wasm, args, { dir, stdin: o.stdin, timeoutMs: o.timeoutMs, weftArgs });
      const tree = hostTree(t);
      const outside = Object.fromEntries(Object.entries(tree).filter(([p]) => !p.startsWith('sandbox/')));
      const inside = Object.fromEntries(Object.entries(tree).filter(([p]) => p.startsWith('sandbox/'))
        .map(([p, v]) => [p.slice('sandbox/'.length), v]));
      const escapes = fs.readdirSync('/tmp').filter((n) => n.startsWith('weft_escape'));
      // Read the files left inside now: the directory is removed before the caller looks.
      const contents = Object.fromEntries(Object.entries(inside).filter(([, v]) => v === 'file')
        .map(([p]) => [p, fs.readFileSync(path.join(dir, p), 'latin1')]));
      return {
        ...r, inside, escapes,
        outsideChanged: JSON.stringify(outside) !== JSON.stringify({ 'keep.txt': 'file', sandbox: 'dir' }) ||
          fs.readFileSync(path.join(t, 'keep.txt'), 'utf8') !== KEEP,
        outside,
        read: (rel) => {
          if (!(rel in contents)) throw new Error(`${rel}: not a file in the sandbox`);
          return contents[rel];
        },
      };
    } finally {
      rm(t);
    }
  },
};

/** The memory backend: MemoryFS /outer/sandbox through run(). */
const memory = {
  name: 'MemoryFS',
  async run(wasm, args, o = {}) {
    const files = { '/outer/sandbox': null, '/outer/keep.txt': KEEP, '/etc/passwd': 'root:x:0:0::/root:/bin/sh\n', '/tmp': null };
    const symlinks = {};
    if (o.hostLinks) {
      files['/outer/sandbox/host-links'] = null;
      for (const [name, target] of Object.entries(SANDBOX_LINKS)) symlinks[`/outer/sandbox/host-links/${name}`] = target;
    }
    const r = await runMemfs(wasm, args, { files, symlinks, root: '/outer/sandbox', stdin: o.stdin, env: o.env, timeoutMs: o.timeoutMs });
    const outside = Object.fromEntries(Object.entries(r.tree).filter(([p]) => !p.startsWith('/outer/sandbox/')));
    const inside = Object.fromEntries(Object.entries(r.tree).filter(([p]) => p.startsWith('/outer/sandbox/'))
      .map(([p, v]) => [p.slice('/outer/sandbox/'.length), v.type === 'symlink' ? `symlink -> ${v.target}` : v.type]));
    const expected = {
      '/outer': { type: 'dir' },
      '/outer/sandbox': { type: 'dir' },
      '/outer/keep.txt': { type: 'file', content: KEEP },
      '/etc': { type: 'dir' },
      '/etc/passwd': { type: 'file', content: files['/etc/passwd'] },
      '/tmp': { type: 'dir' },
    };
    const norm = (o) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
    assert.deepEqual(r.fsck?.errors, [], `fsck after the run: ${JSON.stringify(r.fsck)}`);
    return {
      ...r, inside, escapes: [], outside, outsideChanged: norm(outside) !== norm(expected),
      read: (rel) => {
        const e = r.tree[`/outer/sandbox/${rel}`];
        if (e?.type !== 'file') throw new Error(`${rel}: not a file in the MemoryFS (${JSON.stringify(e)})`);
        return e.content;
      },
    };
  },
};

/** Exit code, bounded time, untouched outside. */
function common(r, { code = 0, ms }) {
  const ctx = `exit ${r.code}, ${Math.round(r.ms)} ms\n--- stdout (interesting lines)\n${interesting(r.stdout)}\n--- stderr\n${r.stderr}`;
  assert.equal(r.timedOut, false, `timed out\n${ctx}`);
  assert.equal(r.code, code, ctx);
  assert.ok(r.ms < ms, `took ${Math.round(r.ms)} ms (bound ${ms} ms)`);
  assert.equal(r.outsideChanged, false, `something outside the preopen changed: ${JSON.stringify(r.outside)}`);
  assert.deepEqual(r.escapes, [], 'weft_escape_* files appeared in /tmp');
  assert.ok(!Object.keys(r.inside).some((p) => p.includes('weft_escape')), `escape target created inside: ${Object.keys(r.inside)}`);
  return ctx;
}

function lines(stdout) {
  return stdout.split('\n');
}

/** Checks an append16.txt: 16 threads x 200 records of 64 bytes, each once, in order per thread. */
function checkAppend16(content) {
  const THREADS = 16, RECORDS = 200, LINE = 64;
  assert.equal(content.length, THREADS * RECORDS * LINE, 'file size');
  const next = new Array(THREADS).fill(0);
  for (let off = 0; off < content.length; off += LINE) {
    const l = content.slice(off, off + LINE);
    const m = /^T(\d\d) R(\d\d\d) ([a-p]+)\n$/.exec(l);
    assert.ok(m, `torn or interleaved record at offset ${off}: ${JSON.stringify(l)}`);
    const t = Number(m[1]), rec = Number(m[2]);
    assert.ok(t < THREADS, `thread ${t} at ${off}`);
    assert.equal(m[3], String.fromCharCode(97 + t).repeat(LINE - 10), `filler of T${t} R${rec} at ${off}`);
    // One thread's writes are sequential, so appends must land in its program order.
    assert.equal(rec, next[t], `T${t}: record ${rec} at offset ${off}, expected R${next[t]} (lost, duplicated or reordered)`);
    next[t]++;
  }
  assert.deepEqual(next, new Array(THREADS).fill(RECORDS));
}

for (const backend of [host, memory]) {
  describe(`C fixtures on ${backend.name}`, () => {
    test('wasi/hello: args, env, stdout and stderr, exit code', async () => {
      const wasm = fixture('wasi', 'hello');
      const r = await backend.run(wasm, ['a b', 'c'], { env: { WEFT_TEST: 'xyz' } });
      common(r, { ms: 60000 });
      const out = lines(r.stdout);
      for (const l of ['hello from wasi', 'argc=3', 'argv[1]=a b', 'argv[2]=c', 'env WEFT_TEST=xyz']) {
        assert.ok(out.includes(l), `missing line ${JSON.stringify(l)} in\n${r.stdout}`);
      }
      assert.ok(out.some((l) => /^argv\[0\]=.*hello\.wasm$/.test(l)), r.stdout);
      assert.match(r.stdout, /^environ count=1$/m);
      assert.equal(r.stderr, 'hello stderr\n');
      const e = await backend.run(wasm, ['exit', '7']);
      common(e, { code: 7, ms: 60000 });
      assert.match(e.stdout, /^env WEFT_TEST unset$/m);
    });

    test('wasi/fileops: every check passes', async () => {
      const r = await backend.run(fixture('wasi', 'fileops'), ['/sandbox'], { timeoutMs: 60000 });
      const ctx = common(r, { ms: 60000 });
      const out = lines(r.stdout.trimEnd());
      assert.equal(out.filter((l) => l.startsWith('FAIL')).length, 0, ctx);
      assert.equal(out.at(-1), 'fileops done: 148 ok, 0 bad', ctx);
      // The UTIME_NOW checks (see utimensat_now in fileops.c) and the 300-entry readdir really ran.
      for (const l of ['ok utimensat NULL (now)', 'ok mtime now', 'ok atime set, mtime now']) assert.ok(out.includes(l), l);
      assert.ok(out.some((l) => /^ok readdir/.test(l)), ctx);
      assert.deepEqual(r.inside, {}, 'fileops.tmp is removed at the end');
    });

    test('wasi/sandbox with escaping symlinks made outside the guest: nothing escapes', async () => {
      const r = await backend.run(fixture('wasi', 'sandbox'), ['/sandbox'], { hostLinks: true, timeoutMs: 60000 });
      const ctx = common(r, { ms: 60000 });
      assert.doesNotMatch(r.stdout, /^(ESCAPED|FAIL)/m, ctx);
      assert.match(r.stdout, /^note host-links: present$/m, ctx);
      assert.equal(lines(r.stdout.trimEnd()).at(-1), 'sandbox done: 72 blocked, 0 escaped, 0 bad', ctx);
      // The host-made links are still there, unchanged, and sandbox.tmp is gone.
      const links = Object.fromEntries(Object.entries(SANDBOX_LINKS).map(([n, t]) => [`host-links/${n}`, `symlink -> ${t}`]));
      assert.deepEqual(r.inside, { 'host-links': 'dir', ...links });
    });

    test('wasi/poll: clocks, sleeps, poll_oneoff', async () => {
      const r = await backend.run(fixture('wasi', 'poll'), [], { timeoutMs: 30000 });
      const ctx = common(r, { ms: 60000 });
      assert.doesNotMatch(r.stdout, /^FAIL/m, ctx);
      assert.equal(lines(r.stdout.trimEnd()).at(-1), 'poll done: 25 ok, 0 bad', ctx);
    });

    test('wasi/poll with a stdin pipe that stays open and empty', async () => {
      const r = await backend.run(fixture('wasi', 'poll'), [], { stdin: 'pipe-open', timeoutMs: 30000 });
      const ctx = common(r, { ms: 60000 });
      assert.equal(lines(r.stdout.trimEnd()).at(-1), 'poll done: 25 ok, 0 bad', ctx);
    });

    test('threads/counter: 4 threads x 100000 mutex increments', async () => {
      const r = await backend.run(fixture('threads', 'counter'), []);
      common(r, { ms: 60000 });
      assert.equal(r.stdout, 'counter: 400000\n');
    });

    test('threads/smoke: the toolchain pthread test', async () => {
      const r = await backend.run(fixture('threads', 'smoke'), []);
      const ctx = common(r, { ms: 60000 });
      const out = lines(r.stdout);
      assert.equal(out.filter((l) => /^ok /.test(l)).length, 8, ctx);
      for (let i = 1; i <= 4; i++) {
        assert.ok(out.includes(`thread ${i} started`) && out.includes(`thread ${i} done`), `thread ${i}\n${ctx}`);
      }
      assert.equal(lines(r.stdout.trimEnd()).at(-1), 'smoke done: 8 ok, 0 bad', ctx);
    });

    test('threads/fd_share: one fd table for every thread', async () => {
      const r = await backend.run(fixture('threads', 'fd_share'), ['/sandbox']);
      const ctx = common(r, { ms: 60000 });
      for (const l of ['ok thread A opens', "ok thread B writes through A's fd", 'ok thread C closes it',
        'ok closed for main too (EBADF)', 'ok main reopens', 'ok content']) {
        assert.ok(lines(r.stdout).includes(l), `missing ${JSON.stringify(l)}\n${ctx}`);
      }
      assert.equal(lines(r.stdout.trimEnd()).at(-1), 'fd_share done: 6 ok, 0 bad', ctx);
      assert.deepEqual(r.inside, {});
    });

    test('threads/fd_churn: concurrent opens/closes never give one fd to two threads', async () => {
      const r = await backend.run(fixture('threads', 'fd_churn'), ['/sandbox']);
      const ctx = common(r, { ms: 60000 });
      assert.equal(r.stdout, 'fd_churn: 8 threads x 300 opens ok\n', ctx);
      assert.deepEqual(r.inside, {});
    });

    test('threads/close_race: fd_close/fd_renumber during pwrite in other threads never lets a write land in another file', async () => {
      const r = await backend.run(fixture('threads', 'close_race'), ['/sandbox', '2000']);
      const ctx = common(r, { ms: 60000 });
      const m = /^close_race: (\d+) own files ok, (\d+) writes, (\d+) closes\n$/.exec(r.stdout);
      assert.ok(m, ctx);
      assert.ok(Number(m[1]) > 20 && Number(m[2]) > 100 && Number(m[3]) > 20, `the race ran\n${ctx}`);
      assert.deepEqual(r.inside, {});
    });

    test('threads/append16: 16 threads append to one file, nothing lost or torn', async () => {
      const r = await backend.run(fixture('threads', 'append16'), ['/sandbox', 'keep']);
      const ctx = common(r, { ms: 60000 });
      assert.equal(r.stdout, 'append16: 3200 lines ok\n', ctx);
      assert.deepEqual(r.inside, { 'append16.txt': 'file' });
      checkAppend16(r.read('append16.txt'));
    });

    for (const stdin of ['', 'pipe-open']) {
      test(`threads/close_while_read (stdin ${stdin === '' ? 'at EOF' : 'an open empty pipe'})`, async () => {
        const r = await backend.run(fixture('threads', 'close_while_read'), ['/sandbox'], { stdin });
        const ctx = common(r, { ms: 60000 });
        const out = lines(r.stdout.trimEnd());
        assert.equal(out[0], 'file: reader stopped with EBADF after close', ctx);
        assert.match(out[1] ?? '', /^stdin: (read returned \d+ (before|after) close|read failed errno=E[A-Z]+ after close|reader still blocked 500ms after close)$/, ctx);
        assert.equal(out[2], 'close_while_read done', ctx);
        assert.equal(out.length, 3, ctx);
        assert.deepEqual(r.inside, {});
      });
    }
  });
}
