// WASIX programs as wasix-libc users write them: eventfd() with EFD_NONBLOCK/EFD_SEMAPHORE/EFD_CLOEXEC,
// and a filesystem mounted at the guest's '/', where the libc passes absolute paths ('/in.txt') to
// path_open2 and opendir('/') on the '/' preopen. Both backends; the sandbox still holds (nothing lands
// outside the mounted directory, '..' at the root stays there).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ensureFixtures, fixture, hostTree, interesting, rm, runMemfs, tempDir } from './helpers/fixtures.mjs';
import { weft } from './helpers/run.mjs';

before(() => ensureFixtures('wasix'), { timeout: 600_000 });

test('eventfd: EFD_NONBLOCK (EAGAIN when empty or full), EFD_SEMAPHORE, EFD_CLOEXEC, F_SETFL, blocking wake-up', async () => {
  const dir = tempDir();
  try {
    const r = await weft(['run', '--dir', `${dir}::/sandbox`, fixture('wasix', 'eventfd')], { timeoutMs: 30000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(interesting(r.stdout), 'eventfd done: 19 ok, 0 bad');
  } finally {
    rm(dir);
  }
});

const LISTING = [
  'list /in.txt f', 'list /out.txt f', 'list /tree d', 'list /tree/a d', 'list /tree/a/b d',
  'list /tree/a/b/deep.txt f', 'list /tree/c d', 'list /tree/c/x.txt f', 'list /tree/link l',
];
const INPUT = 'input bytes\n'.repeat(1000);

function checkRun(r) {
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const rest = interesting(r.stdout).split('\n');
  assert.deepEqual(rest, [...LISTING, 'rootfs done: 17 ok, 0 bad']);
}

test('root mount (host dir at /): absolute paths copy a file, list recursively, resolve absolute symlinks inside', async () => {
  const parent = tempDir();
  const dir = path.join(parent, 'root');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'in.txt'), INPUT);
  try {
    const r = await weft(['run', '--dir', `${dir}::/`, fixture('wasix', 'rootfs'), '/in.txt', '/out.txt'], { timeoutMs: 30000 });
    checkRun(r);
    assert.equal(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8'), INPUT);
    // The guest's absolute symlink is stored as written; weft resolves it from the mount's root.
    assert.equal(fs.readlinkSync(path.join(dir, 'tree/link')), '/tree/a');
    // Nothing was created beside the mounted directory.
    assert.deepEqual(fs.readdirSync(parent), ['root']);
    assert.equal(hostTree(dir)['tree/a/b/deep.txt'], 'file');
  } finally {
    rm(parent);
  }
});

test('root mount (MemoryFS at /): the same program, the same listing', async () => {
  const r = await runMemfs(fixture('wasix', 'rootfs'), ['/in.txt', '/out.txt'], {
    files: { '/in.txt': INPUT }, root: '/', mount: '/',
  });
  checkRun(r);
  assert.equal(r.tree['/out.txt'].content, INPUT);
  assert.deepEqual(r.tree['/tree/link'], { type: 'symlink', target: '/tree/a' });
  assert.deepEqual(r.fsck?.errors, [], JSON.stringify(r.fsck));
});

test('a preopen not at / still gets no absolute paths: nothing opened, nothing created', async () => {
  const dir = tempDir();
  try {
    // rootfs run against /sandbox: its absolute /in.txt is outside every preopen, so the libc finds no
    // preopen for it and the open fails; nothing is created in the directory.
    const r = await weft(['run', '--dir', `${dir}::/sandbox`, fixture('wasix', 'rootfs'), '/in.txt', '/out.txt'], { timeoutMs: 30000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /FAIL open absolute in\/out/);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    rm(dir);
  }
});
