// The shared in-memory filesystem (src/fs/memfs.ts): semantics with exact errnos, scale, threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { MemoryFS, MemoryFsBackend, formatMemfs } from '../dist/fs/memfs.js';
import { Errno, WasiError } from '../dist/abi/errno.js';
import { Filetype } from '../dist/abi/constants.js';

const MEMFS_URL = new URL('../dist/fs/memfs.js', import.meta.url).href;

const errno = (n) => (e) => {
  assert.ok(e instanceof WasiError, `expected WasiError, got ${e}`);
  assert.equal(e.errno, n, `expected errno ${n}, got ${e.errno} (${e.message})`);
  return true;
};
const O = (o = {}) => ({ read: true, write: false, create: false, exclusive: false, truncate: false, directory: false, append: false, ...o });
const W = (o = {}) => O({ write: true, create: true, ...o });
const enc = new TextEncoder();
const dec = new TextDecoder();
const str = (b, h, n = 256, pos = 0) => {
  const buf = new Uint8Array(n);
  return dec.decode(buf.subarray(0, b.pread(h, buf, pos)));
};
const fsckOk = (x) => {
  const r = x.fsck();
  assert.deepEqual(r.errors, [], 'fsck errors');
  return r;
};
/** A fresh filesystem and a backend over its root. */
const fresh = (files = {}, opts = { capacityBytes: 32 << 20 }) => {
  const mfs = new MemoryFS(files, opts);
  return { mfs, b: new MemoryFsBackend(mfs.dir('/')) };
};

test('MemoryFS: seeding, read/write, readdir, stat, symlinks, descriptors', () => {
  const mfs = new MemoryFS({ '/etc/motd': 'hi', '/data/x/y.bin': new Uint8Array([1, 2, 3]), '/empty': null }, { capacityBytes: 8 << 20 });
  assert.equal(mfs.readText('/etc/motd'), 'hi');
  assert.deepEqual([...mfs.readFile('/data/x/y.bin')], [1, 2, 3]);
  assert.deepEqual(mfs.readdir('/'), ['etc', 'data', 'empty']);
  assert.deepEqual(mfs.readdir('/empty'), []);
  assert.equal(mfs.stat('/data').filetype, Filetype.DIRECTORY);
  assert.equal(mfs.stat('/etc/motd').size, 2n);
  assert.ok(mfs.exists('/data/x') && !mfs.exists('/nope') && !mfs.exists('/etc/motd/x'));
  mfs.writeFile('/etc/motd', 'hello there');
  assert.equal(mfs.readText('/etc/motd'), 'hello there');
  mfs.mkdir('/a/b/c', { recursive: true });
  mfs.mkdir('/a/b/c', { recursive: true });
  assert.throws(() => mfs.mkdir('/a/b'), errno(Errno.EXIST));
  assert.throws(() => mfs.mkdir('/etc/motd/q', { recursive: true }), errno(Errno.NOTDIR));
  mfs.symlink('../etc/motd', '/a/link');
  assert.equal(mfs.readText('/a/link'), 'hello there');
  assert.equal(mfs.lstat('/a/link').filetype, Filetype.SYMBOLIC_LINK);
  assert.equal(mfs.readlink('/a/link'), '../etc/motd');
  mfs.symlink('/a/b', '/ab');
  mfs.writeFile('/ab/c/f', 'via link');
  assert.equal(mfs.readText('/a/b/c/f'), 'via link');
  mfs.unlink('/a/link');
  assert.ok(mfs.exists('/etc/motd'));
  const d = mfs.dir('/data');
  assert.deepEqual(Object.keys(d).sort(), ['kind', 'readOnly', 'root', 'sab']);
  assert.equal(d.kind, 'memory');
  assert.equal(d.root, '/data');
  assert.equal(d.sab, mfs.sab);
  assert.equal(mfs.dir('/ab').root, '/a/b');
  assert.throws(() => mfs.dir('/etc/motd'), errno(Errno.NOTDIR));
  assert.throws(() => mfs.dir('/zzz'), errno(Errno.NOENT));
  const b = new MemoryFsBackend(d);
  assert.deepEqual(b.describe(), d);
  assert.equal(b.lstat('x/y.bin').size, 3n);
  assert.equal(b.lstat('').filetype, Filetype.DIRECTORY);
  assert.throws(() => b.lstat('etc'), errno(Errno.NOENT)); // outside the root is not reachable
  const again = MemoryFS.fromSab(mfs.sab);
  assert.equal(again.readText('/etc/motd'), 'hello there');
  assert.throws(() => new MemoryFsBackend({ kind: 'memory', sab: new SharedArrayBuffer(8192), root: '/', readOnly: false }), TypeError);
  fsckOk(mfs);
});

test('open: flags and errnos', () => {
  const { b } = fresh({ '/f': 'hello', '/d/sub': null, '/d/x': 'x' });
  b.symlink('f', 'lf');
  assert.throws(() => b.open('f', W({ exclusive: true })), errno(Errno.EXIST));
  assert.throws(() => b.open('d', W({ exclusive: true })), errno(Errno.EXIST));
  assert.throws(() => b.open('d', O({ write: true })), errno(Errno.ISDIR));
  assert.throws(() => b.open('d', O({ truncate: true })), errno(Errno.ISDIR));
  assert.throws(() => b.open('', O({ write: true })), errno(Errno.ISDIR));
  assert.throws(() => b.open('f', O({ directory: true })), errno(Errno.NOTDIR));
  assert.throws(() => b.open('lf', O()), errno(Errno.LOOP));
  assert.throws(() => b.open('lf', O({ directory: true })), errno(Errno.LOOP));
  assert.throws(() => b.open('missing', O()), errno(Errno.NOENT));
  assert.throws(() => b.open('missing/x', W()), errno(Errno.NOENT));
  assert.throws(() => b.open('f/x', O()), errno(Errno.NOTDIR));
  assert.throws(() => b.open('f/x', W()), errno(Errno.NOTDIR));
  assert.throws(() => b.open('lf/x', O()), errno(Errno.NOTDIR)); // symlink as an intermediate: validated, not followed
  assert.throws(() => b.open('newdir', W({ directory: true })), errno(Errno.INVAL));
  assert.throws(() => b.open('x'.repeat(256), W()), errno(Errno.NAMETOOLONG));
  assert.throws(() => b.open('../f', O()), errno(Errno.NOTCAPABLE));
  const hd = b.open('d', O({ directory: true }));
  assert.deepEqual(b.readdir(hd).map((e) => [e.name, e.filetype]), [['sub', Filetype.DIRECTORY], ['x', Filetype.REGULAR_FILE]]);
  assert.throws(() => b.pread(hd, new Uint8Array(4), 0), errno(Errno.ISDIR));
  assert.throws(() => b.pwrite(hd, new Uint8Array(4), 0), errno(Errno.ISDIR));
  assert.throws(() => b.ftruncate(hd, 0), errno(Errno.INVAL));
  b.close(hd);
  const hr = b.open('', O({ directory: true }));
  assert.deepEqual(b.readdir(hr).map((e) => e.name), ['f', 'd', 'lf']);
  b.close(hr);
  const hf = b.open('f', O());
  assert.equal(str(b, hf), 'hello');
  assert.throws(() => b.readdir(hf), errno(Errno.NOTDIR));
  b.close(hf);
  // truncate
  const ht = b.open('f', O({ write: true, truncate: true }));
  assert.equal(b.fstat(ht).size, 0n);
  b.close(ht);
  // create, then exclusive create of a new name
  const hn = b.open('n', W({ exclusive: true }));
  assert.equal(b.fstat(hn).nlink, 1n);
  assert.equal(b.fstat(hn).filetype, Filetype.REGULAR_FILE);
  b.close(hn);
  // stale handles
  assert.throws(() => b.fstat(hn), errno(Errno.BADF));
  assert.throws(() => b.close(hn), errno(Errno.BADF));
  b.unlink('n');
  assert.throws(() => b.fstat(hn), errno(Errno.BADF));
  assert.throws(() => b.pread(12345, new Uint8Array(1), 0), errno(Errno.BADF));
  fsckOk(b);
});

test('file data: pwrite past EOF, ftruncate, append, direct->chunked, sparse, timestamps', () => {
  const { b } = fresh();
  const h = b.open('f', W());
  assert.equal(b.pwrite(h, enc.encode('abc'), 5), 3);
  assert.deepEqual([...readN(b, h, 16)], [0, 0, 0, 0, 0, 97, 98, 99]);
  assert.equal(b.pwrite(h, enc.encode('Z'), 'append'), 1);
  assert.equal(str(b, h, 16, 5), 'abcZ');
  assert.equal(b.pread(h, new Uint8Array(4), 9), 0);
  assert.equal(b.pread(h, new Uint8Array(4), 100), 0);
  b.ftruncate(h, 6);
  b.ftruncate(h, 12); // grows with zeros: the cut bytes must not reappear
  assert.deepEqual([...readN(b, h, 16)], [0, 0, 0, 0, 0, 97, 0, 0, 0, 0, 0, 0]);
  // Cross the 64 KiB direct/chunked boundary with a write straddling it.
  const big = new Uint8Array(70000).map((_, i) => (i * 7) & 255);
  b.pwrite(h, big, 65000);
  assert.equal(b.fstat(h).size, 135000n);
  const back = new Uint8Array(70000);
  assert.equal(b.pread(h, back, 65000), 70000);
  assert.deepEqual(back, big);
  assert.deepEqual([...readN(b, h, 6)], [0, 0, 0, 0, 0, 97]);
  // Shrink inside a chunk then grow again: zeros past the old cut.
  b.ftruncate(h, 100000);
  b.ftruncate(h, 140000);
  const tail = new Uint8Array(40000);
  b.pread(h, tail, 100000);
  assert.ok(tail.every((x) => x === 0));
  // Sparse write far away; the hole reads as zeros.
  b.pwrite(h, enc.encode('END'), 10 * 1024 * 1024);
  assert.equal(b.fstat(h).size, BigInt(10 * 1024 * 1024 + 3));
  const hole = new Uint8Array(200000).fill(1);
  assert.equal(b.pread(h, hole, 5 * 1024 * 1024), 200000);
  assert.ok(hole.every((x) => x === 0));
  assert.equal(str(b, h, 16, 10 * 1024 * 1024), 'END');
  assert.throws(() => b.pwrite(h, enc.encode('x'), 2 ** 37), errno(Errno.FBIG));
  assert.throws(() => b.pwrite(h, enc.encode('x'), -1), errno(Errno.INVAL));
  assert.throws(() => b.ftruncate(h, -1), errno(Errno.INVAL));
  fsckOk(b);
  b.ftruncate(h, 0);
  assert.equal(b.fstat(h).size, 0n);
  fsckOk(b);
  // Timestamps: write and truncate move mtim/ctim; futimes sets exact values.
  b.futimes(h, 1n, 2n);
  let st = b.fstat(h);
  assert.equal(st.atimNs, 1n);
  assert.equal(st.mtimNs, 2n);
  assert.ok(st.ctimNs > 1_600_000_000_000_000_000n);
  b.pwrite(h, enc.encode('x'), 0);
  st = b.fstat(h);
  assert.ok(st.mtimNs > 2n && st.atimNs === 1n);
  b.futimes(h, -5_000_000_000n, 1_234_567_890_123_456_789n);
  st = b.fstat(h);
  assert.equal(st.atimNs, -5_000_000_000n);
  assert.equal(st.mtimNs, 1_234_567_890_123_456_789n);
  b.ftruncate(h, 3);
  assert.ok(b.fstat(h).mtimNs > 1_600_000_000_000_000_000n);
  b.futimes(h, undefined, 7n);
  assert.equal(b.fstat(h).atimNs, -5_000_000_000n);
  b.fsync(h, false);
  b.close(h);
  b.utimes('f', 'now', undefined);
  assert.ok(b.lstat('f').atimNs > 1_600_000_000_000_000_000n);
  assert.equal(b.lstat('f').mtimNs, 7n);
  // Directory mtim changes on entry changes.
  b.utimes('', 0n, 0n);
  b.mkdir('sub');
  assert.ok(b.lstat('').mtimNs > 0n);
  b.utimes('', 0n, 0n);
  b.unlink('f');
  assert.ok(b.lstat('').mtimNs > 0n);
  fsckOk(b);
});

function readN(b, h, n) {
  const buf = new Uint8Array(n);
  return buf.subarray(0, b.pread(h, buf, 0));
}

test('unlinked files stay usable until the last close; removed open directories', () => {
  const { mfs, b } = fresh({ '/f': 'data' });
  const before = b.usage().inodesUsed;
  const h1 = b.open('f', O({ write: true }));
  const h2 = b.open('f', O());
  b.unlink('f');
  assert.throws(() => b.lstat('f'), errno(Errno.NOENT));
  assert.equal(b.fstat(h1).nlink, 0n);
  b.pwrite(h1, enc.encode('more'), 'append');
  assert.equal(str(b, h2), 'datamore');
  assert.equal(fsckOk(b).orphans, 1);
  b.close(h1);
  assert.equal(str(b, h2), 'datamore');
  assert.equal(b.usage().inodesUsed, before);
  b.close(h2);
  assert.equal(b.usage().inodesUsed, before - 1);
  assert.equal(fsckOk(b).orphans, 0);
  // A new file may reuse the inode number; the old handle stays stale.
  const h3 = b.open('g', W());
  assert.throws(() => b.fstat(h1), errno(Errno.BADF));
  b.close(h3);
  // Open directory removed by rmdir: readdir is empty, no entries can be created in it.
  b.mkdir('d');
  const hd = b.open('d', O({ directory: true }));
  b.rmdir('d');
  assert.deepEqual(b.readdir(hd), []);
  assert.equal(b.fstat(hd).nlink, 0n);
  assert.equal(fsckOk(b).orphans, 1);
  b.close(hd);
  assert.equal(fsckOk(mfs).orphans, 0);
  // Hard links keep data alive too.
  b.link('g', 'g2');
  assert.equal(b.lstat('g').nlink, 2n);
  b.unlink('g');
  assert.equal(b.lstat('g2').nlink, 1n);
  fsckOk(b);
});

test('mkdir, rmdir, unlink, link, symlink, readlink errnos and nlink', () => {
  const { b } = fresh({ '/f': 'x', '/d/inner': 'y', '/e': null });
  b.symlink('f', 'lf');
  assert.throws(() => b.mkdir('d'), errno(Errno.EXIST));
  assert.throws(() => b.mkdir('f'), errno(Errno.EXIST));
  assert.throws(() => b.mkdir(''), errno(Errno.EXIST));
  assert.throws(() => b.mkdir('nope/x'), errno(Errno.NOENT));
  assert.throws(() => b.mkdir('f/x'), errno(Errno.NOTDIR));
  assert.equal(b.lstat('').nlink, 4n); // 2 + d, e
  b.mkdir('e/s1');
  b.mkdir('e/s2');
  assert.equal(b.lstat('e').nlink, 4n);
  assert.throws(() => b.rmdir('d'), errno(Errno.NOTEMPTY));
  assert.throws(() => b.rmdir('f'), errno(Errno.NOTDIR));
  assert.throws(() => b.rmdir('lf'), errno(Errno.NOTDIR));
  assert.throws(() => b.rmdir('nope'), errno(Errno.NOENT));
  assert.throws(() => b.rmdir(''), errno(Errno.BUSY));
  b.rmdir('e/s1');
  assert.equal(b.lstat('e').nlink, 3n);
  assert.throws(() => b.unlink('d'), errno(Errno.ISDIR));
  assert.throws(() => b.unlink(''), errno(Errno.ISDIR));
  assert.throws(() => b.unlink('nope'), errno(Errno.NOENT));
  assert.throws(() => b.unlink('f/x'), errno(Errno.NOTDIR));
  b.unlink('lf'); // removes the link, not its target
  assert.equal(b.lstat('f').nlink, 1n);
  b.symlink('f', 'lf');
  assert.throws(() => b.link('d', 'd2'), errno(Errno.PERM));
  assert.throws(() => b.link('', 'r2'), errno(Errno.PERM));
  assert.throws(() => b.link('f', 'd/inner'), errno(Errno.EXIST));
  assert.throws(() => b.link('nope', 'x'), errno(Errno.NOENT));
  b.link('f', 'd/f2');
  assert.equal(b.lstat('f').ino, b.lstat('d/f2').ino);
  assert.equal(b.lstat('d/f2').nlink, 2n);
  b.link('lf', 'lf2'); // links the symlink itself
  assert.equal(b.lstat('lf2').filetype, Filetype.SYMBOLIC_LINK);
  assert.equal(b.lstat('lf').nlink, 2n);
  assert.throws(() => b.symlink('x', 'f'), errno(Errno.EXIST));
  assert.throws(() => b.symlink('x', 'd'), errno(Errno.EXIST));
  assert.throws(() => b.symlink('', 'newlink'), errno(Errno.NOENT));
  const long = 'z/'.repeat(1000);
  b.symlink(long, 'longlink');
  assert.equal(b.readlink('longlink'), long);
  b.symlink('ünï/cödé', 'uni');
  assert.equal(b.readlink('uni'), 'ünï/cödé');
  assert.throws(() => b.readlink('f'), errno(Errno.INVAL));
  assert.throws(() => b.readlink('d'), errno(Errno.INVAL));
  assert.throws(() => b.readlink('nope'), errno(Errno.NOENT));
  assert.equal(b.lstat('lf').size, 1n);
  // Names: 255 UTF-8 bytes is fine, 256 is not.
  const n255 = 'é'.repeat(127) + 'a';
  const h = b.open(n255, W());
  b.close(h);
  assert.ok(b.lstat(n255));
  assert.throws(() => b.open('é'.repeat(128), W()), errno(Errno.NAMETOOLONG));
  const hr = b.open('', O({ directory: true }));
  assert.ok(b.readdir(hr).some((e) => e.name === n255));
  b.close(hr);
  fsckOk(b);
});

test('rename: POSIX rules', () => {
  const { b } = fresh({ '/f': 'F', '/g': 'G', '/d/x': 'x', '/e': null, '/t/a/b': null, '/order/1': '', '/order/2': '', '/order/3': '' });
  const ino = (p) => b.lstat(p).ino;
  assert.throws(() => b.rename('nope', 'x'), errno(Errno.NOENT));
  assert.throws(() => b.rename('f', 'nope/x'), errno(Errno.NOENT));
  assert.throws(() => b.rename('f', 'd'), errno(Errno.ISDIR));
  assert.throws(() => b.rename('e', 'f'), errno(Errno.NOTDIR));
  assert.throws(() => b.rename('e', 'd'), errno(Errno.NOTEMPTY));
  assert.throws(() => b.rename('t', 't/a/b/c'), errno(Errno.INVAL));
  assert.throws(() => b.rename('t', 't/c'), errno(Errno.INVAL));
  assert.throws(() => b.rename('t/a', 't'), errno(Errno.NOTEMPTY));
  assert.throws(() => b.rename('', 'x'), errno(Errno.BUSY));
  assert.throws(() => b.rename('f', 'f/x'), errno(Errno.NOTDIR));
  // same inode: no-op
  b.link('f', 'f-link');
  b.rename('f', 'f-link');
  assert.ok(b.lstat('f') && b.lstat('f-link'));
  b.rename('f', 'f');
  // file over file replaces atomically; the replaced inode dies
  const gi = ino('f');
  const used = b.usage().inodesUsed;
  b.unlink('f-link');
  b.rename('f', 'g');
  assert.equal(ino('g'), gi);
  assert.throws(() => b.lstat('f'), errno(Errno.NOENT));
  assert.equal(b.usage().inodesUsed, used - 1);
  // dir over empty dir; parents' nlink
  const rootLinks = b.lstat('').nlink;
  b.rename('d', 'e');
  assert.equal(b.lstat('e/x').size, 1n);
  assert.equal(b.lstat('').nlink, rootLinks - 1n);
  // move a dir to another parent
  b.rename('e', 't/a/b/e2');
  assert.equal(b.lstat('t/a/b').nlink, 3n);
  assert.equal(b.lstat('').nlink, rootLinks - 2n);
  b.rename('t/a/b/e2', 'e');
  // rename keeps the replaced name's readdir slot; a new name goes to the end
  b.rename('order/1', 'order/3');
  b.rename('order/2', 'order/9');
  const h = b.open('order', O({ directory: true }));
  assert.deepEqual(b.readdir(h).map((x) => x.name), ['3', '9']);
  b.close(h);
  // an open file survives being renamed over
  const ho = b.open('g', O());
  const hn = b.open('new', W());
  b.pwrite(hn, enc.encode('NEW'), 0);
  b.rename('new', 'g');
  assert.equal(str(b, ho), 'F');
  b.close(ho);
  assert.equal(str(b, hn), 'NEW');
  b.close(hn);
  assert.equal(b.lstat('g').size, 3n);
  // symlinks are renamed, not followed
  b.symlink('g', 'sl');
  b.rename('sl', 'e/sl');
  assert.equal(b.readlink('e/sl'), 'g');
  fsckOk(b);
});

test('read-only backends fail every mutation with EROFS', () => {
  const mfs = new MemoryFS({ '/d/f': 'x', '/d/sub': null }, { capacityBytes: 4 << 20 });
  const ro = new MemoryFsBackend(mfs.dir('/d', { readOnly: true }));
  assert.equal(ro.readOnly, true);
  assert.equal(ro.describe().readOnly, true);
  for (const o of [{ write: true }, { create: true }, { truncate: true }, { create: true, exclusive: true }]) {
    assert.throws(() => ro.open('f', O(o)), errno(Errno.ROFS));
    assert.throws(() => ro.open('new', O(o)), errno(Errno.ROFS));
  }
  assert.throws(() => ro.mkdir('x'), errno(Errno.ROFS));
  assert.throws(() => ro.rmdir('sub'), errno(Errno.ROFS));
  assert.throws(() => ro.unlink('f'), errno(Errno.ROFS));
  assert.throws(() => ro.rename('f', 'g'), errno(Errno.ROFS));
  assert.throws(() => ro.link('f', 'g'), errno(Errno.ROFS));
  assert.throws(() => ro.symlink('f', 'g'), errno(Errno.ROFS));
  assert.throws(() => ro.utimes('f', 'now', 'now'), errno(Errno.ROFS));
  const h = ro.open('f', O());
  assert.equal(str(ro, h), 'x');
  assert.throws(() => ro.pwrite(h, enc.encode('y'), 0), errno(Errno.ROFS));
  assert.throws(() => ro.ftruncate(h, 0), errno(Errno.ROFS));
  assert.throws(() => ro.futimes(h, 'now', 'now'), errno(Errno.ROFS));
  ro.close(h);
  assert.equal(mfs.readText('/d/f'), 'x');
  fsckOk(mfs);
});

test('ENOSPC: data and inodes', () => {
  const mfs = new MemoryFS({}, { capacityBytes: 1 << 20, maxInodes: 50 });
  const b = mfs.backend();
  const h = b.open('big', W());
  const chunk = new Uint8Array(65536).fill(7);
  let total = 0;
  for (;;) {
    try {
      const n = b.pwrite(h, chunk, total);
      total += n;
      if (n < chunk.length) break;
    } catch (e) {
      assert.ok(errno(Errno.NOSPC)(e));
      break;
    }
  }
  assert.ok(total > 512 * 1024, `wrote ${total}`);
  assert.throws(() => b.pwrite(h, chunk, total + 65536), errno(Errno.NOSPC));
  fsckOk(b);
  b.ftruncate(h, 0);
  b.close(h);
  fsckOk(b);
  let made = 0;
  assert.throws(() => {
    for (;;) {
      b.close(b.open(`f${made}`, W()));
      made++;
    }
  }, errno(Errno.NOSPC));
  assert.equal(made, 48); // root + 'big' + 48 = 50
  assert.throws(() => b.mkdir('dd'), errno(Errno.NOSPC));
  assert.throws(() => b.symlink('x', 'sl'), errno(Errno.NOSPC));
  b.unlink('f0');
  b.mkdir('dd');
  fsckOk(b);
});

test('10,000-entry directory: create, lookup, readdir, delete', () => {
  const mfs = new MemoryFS({ '/big': null }, { capacityBytes: 64 << 20, maxInodes: 20000 });
  const b = new MemoryFsBackend(mfs.dir('/'));
  const N = 10000;
  let t = performance.now();
  for (let i = 0; i < N; i++) b.close(b.open(`big/file-${i}`, W({ exclusive: true })));
  const createMs = performance.now() - t;
  assert.ok(createMs < 10000, `creating ${N} files took ${createMs} ms`);
  const hd = b.open('big', O({ directory: true }));
  t = performance.now();
  const list = b.readdir(hd);
  const readdirMs = performance.now() - t;
  // generous: it catches a quadratic listing (seconds), not a loaded machine (220 ms seen at load 50)
  assert.ok(readdirMs < 2000, `readdir took ${readdirMs} ms`);
  assert.equal(list.length, N);
  assert.deepEqual(list.slice(0, 3).map((e) => e.name), ['file-0', 'file-1', 'file-2']);
  assert.equal(list[N - 1].name, `file-${N - 1}`);
  assert.throws(() => b.open('big/file-5000', W({ exclusive: true })), errno(Errno.EXIST));
  for (let i = 0; i < N; i += 997) assert.equal(b.lstat(`big/file-${i}`).filetype, Filetype.REGULAR_FILE);
  fsckOk(b);
  t = performance.now();
  for (let i = 0; i < N; i += 2) b.unlink(`big/file-${i}`);
  const list2 = b.readdir(hd);
  assert.equal(list2.length, N / 2);
  assert.equal(list2[0].name, 'file-1');
  assert.ok(list2.every((e, i) => e.name === `file-${2 * i + 1}`), 'order kept after deletions');
  for (let i = 0; i < N; i += 2) b.close(b.open(`big/file-${i}`, W()));
  for (let i = 0; i < N; i++) b.unlink(`big/file-${i}`);
  assert.ok(performance.now() - t < 2000);
  assert.deepEqual(b.readdir(hd), []);
  b.close(hd);
  b.rmdir('big');
  fsckOk(b);
});

test('32 MiB file written in 64 KiB chunks, read back with a checksum', () => {
  const mfs = new MemoryFS({}, { capacityBytes: 48 << 20 });
  const b = mfs.backend();
  const h = b.open('big.bin', W());
  const CH = 65536;
  const N = (32 << 20) / CH;
  const buf = new Uint8Array(CH);
  const u32 = new Uint32Array(buf.buffer);
  let sumW = 0;
  for (let c = 0; c < N; c++) {
    for (let i = 0; i < u32.length; i++) u32[i] = Math.imul(c * u32.length + i, 2654435761);
    for (let i = 0; i < buf.length; i += 64) sumW = (Math.imul(sumW, 31) + buf[i] + buf[i + 63]) | 0;
    assert.equal(b.pwrite(h, buf, 'append'), CH);
  }
  assert.equal(b.fstat(h).size, BigInt(32 << 20));
  let sumR = 0;
  const rb = new Uint8Array(CH);
  for (let pos = 0; ; pos += CH) {
    const n = b.pread(h, rb, pos);
    if (n === 0) break;
    assert.equal(n, CH);
    for (let i = 0; i < rb.length; i += 64) sumR = (Math.imul(sumR, 31) + rb[i] + rb[i + 63]) | 0;
  }
  assert.equal(sumR, sumW);
  // unaligned reads across chunk boundaries
  const odd = new Uint8Array(CH + 3);
  assert.equal(b.pread(h, odd, 5 * CH - 7), CH + 3);
  const expectWord = (k) => Math.imul(k, 2654435761) >>> 0;
  const w = new DataView(odd.buffer, 7);
  assert.equal(w.getUint32(0, true), expectWord(5 * (CH / 4)));
  fsckOk(b);
  b.close(h);
  b.unlink('big.bin');
  const u = b.usage();
  const r = fsckOk(b);
  assert.equal(r.bytesFree, u.freeBytes);
  assert.ok(u.freeBytes > u.dataBytes - 4096, 'space returned');
});

test('canBlock=false (browser main thread mode) still works', () => {
  const mfs = new MemoryFS({ '/x': 'y' }, { capacityBytes: 1 << 20 });
  const b = new MemoryFsBackend(mfs.dir('/'), { canBlock: false });
  const h = b.open('x', O());
  assert.equal(str(b, h), 'y');
  b.close(h);
  assert.equal(formatMemfs({ capacityBytes: 1 << 20 }).byteLength, 1 << 20);
});

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { MemoryFsBackend } = await import(workerData.url);
  const { id, desc, rounds, recSize, canBlock, barrier, T } = workerData;
  const b = new MemoryFsBackend(desc, { canBlock });
  // Start together so the operations really overlap.
  const bar = new Int32Array(barrier);
  Atomics.add(bar, 0, 1);
  while (Atomics.load(bar, 0) < T) Atomics.wait(bar, 0, Atomics.load(bar, 0), 5);
  Atomics.notify(bar, 0);
  const W = { read: true, write: true, create: true, exclusive: false, truncate: false, directory: false, append: false };
  const enc = new TextEncoder();
  const log = b.open('log', { ...W, create: false });
  const rec = new Uint8Array(recSize);
  const own = 'w' + id;
  b.mkdir(own);
  for (let i = 0; i < rounds; i++) {
    // own directory: create, write, rename, delete every other one
    const h = b.open(own + '/f' + i, { ...W, exclusive: true });
    b.pwrite(h, enc.encode('worker ' + id + ' file ' + i + ' '.repeat(i % 100)), 0);
    b.close(h);
    b.rename(own + '/f' + i, own + '/g' + i);
    if (i % 2) b.unlink(own + '/g' + i);
    // shared directory: create, grow, rename, sometimes delete
    const s = b.open('shared/' + id + '-' + i, { ...W, exclusive: true });
    b.pwrite(s, new Uint8Array(100 + (i % 7) * 1000).fill(id), 0);
    b.close(s);
    b.rename('shared/' + id + '-' + i, 'shared/r' + id + '-' + i);
    if (i % 3 === 0) b.unlink('shared/r' + id + '-' + i);
    if (i % 10 === 0) { b.mkdir('shared/d' + id + '-' + i); b.rename('shared/d' + id + '-' + i, own + '/d' + i); }
    // everyone renames over the same name
    const t = b.open('shared/hot-' + id, { ...W, exclusive: true });
    b.pwrite(t, enc.encode('hot ' + id + ' ' + i), 0);
    b.close(t);
    b.rename('shared/hot-' + id, 'shared/hot');
    // fixed-size records appended to one shared file
    for (let j = 0; j < 4; j++) {
      const seq = i * 4 + j;
      for (let k = 0; k < recSize; k++) rec[k] = (id * 31 + seq * 7 + k) & 255;
      rec[0] = id; rec[1] = seq & 255; rec[2] = seq >> 8;
      if (b.pwrite(log, rec, 'append') !== recSize) throw new Error('short append');
    }
  }
  b.close(log);
  parentPort.postMessage('done');
})().catch((e) => { parentPort.postMessage('error: ' + (e && e.stack || e)); });
`;

test('8 workers hammer one filesystem concurrently; structure and records verify', { timeout: 60000 }, async () => {
  const mfs = new MemoryFS({ '/shared': null, '/log': '' }, { capacityBytes: 64 << 20 });
  const desc = mfs.dir('/');
  const T = 8;
  const rounds = 300;
  const recSize = 48;
  const barrier = new SharedArrayBuffer(4);
  const results = await Promise.all(
    Array.from({ length: T }, (_, id) =>
      new Promise((resolve, reject) => {
        const w = new Worker(WORKER, { eval: true, workerData: { url: MEMFS_URL, id, desc, rounds, recSize, barrier, T, canBlock: id === 0 ? false : undefined } });
        w.once('message', (m) => { resolve(m); w.terminate(); });
        w.once('error', reject);
      }),
    ),
  );
  assert.deepEqual(results, Array(T).fill('done'));
  // own directories
  for (let id = 0; id < T; id++) {
    const names = mfs.readdir(`/w${id}`);
    const expect = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) expect.push(`g${i}`);
      if (i % 10 === 0) expect.push(`d${i}`);
    }
    assert.deepEqual(names.slice().sort(), expect.sort());
    for (let i = 0; i < rounds; i += 2) {
      assert.equal(mfs.readText(`/w${id}/g${i}`), `worker ${id} file ${i}` + ' '.repeat(i % 100));
    }
  }
  // shared directory
  const shared = new Set(mfs.readdir('/shared'));
  for (let id = 0; id < T; id++) {
    for (let i = 0; i < rounds; i++) {
      assert.equal(shared.has(`${id}-${i}`), false);
      assert.equal(shared.has(`r${id}-${i}`), i % 3 !== 0);
      if (i % 3 !== 0) {
        const d = mfs.readFile(`/shared/r${id}-${i}`);
        assert.equal(d.length, 100 + (i % 7) * 1000);
        assert.ok(d.every((x) => x === id));
      }
    }
  }
  assert.match(mfs.readText('/shared/hot'), /^hot [0-7] \d+$/);
  shared.delete('hot');
  assert.equal(shared.size, T * (rounds - Math.ceil(rounds / 3)));
  // shared log: length, no torn records, per-writer order
  const log = mfs.readFile('/log');
  const total = T * rounds * 4;
  assert.equal(log.length, total * recSize);
  const nextSeq = new Array(T).fill(0);
  for (let r = 0; r < total; r++) {
    const o = r * recSize;
    const id = log[o];
    const seq = log[o + 1] | (log[o + 2] << 8);
    assert.ok(id < T, `record ${r}: bad writer ${id}`);
    assert.equal(seq, nextSeq[id]++, `record ${r}: writer ${id} out of order`);
    for (let k = 3; k < recSize; k++) {
      if (log[o + k] !== ((id * 31 + seq * 7 + k) & 255)) assert.fail(`torn record ${r} at byte ${k}`);
    }
  }
  assert.deepEqual(nextSeq, Array(T).fill(rounds * 4));
  const rep = fsckOk(mfs);
  assert.equal(rep.orphans, 0);
  const u = mfs.usage();
  assert.equal(rep.bytesFree, u.freeBytes);
  assert.equal(rep.bytesAllocated + rep.bytesFree, u.dataBytes);
  assert.equal(rep.inodesUsed, u.inodesUsed);
});

test('fsck detects corruption', { timeout: 10000 }, async () => {
  const { Superblock, Inode } = await import('../dist/fs/memfs/layout.js');
  const corrupt = (fn, pattern) => {
    const { b } = fresh({ '/d/f': 'hello', '/d/g': 'x'.repeat(100000) }, { capacityBytes: 1 << 20 });
    fsckOk(b);
    const s = b.s;
    const recs = Object.fromEntries(['d', 'd/f', 'd/g'].map((p) => [p, s.rec(Number(b.lstat(p).ino))]));
    const rec = (p) => recs[p]; // resolved before taking the lock (the lock is not reentrant)
    s.lock();
    try {
      fn(s, rec);
    } finally {
      s.unlock();
    }
    const errs = b.fsck().errors;
    assert.ok(errs.some((e) => pattern.test(e)), `expected ${pattern}, got ${JSON.stringify(errs)}`);
  };
  corrupt((s) => s.alloc(100, false), /leaked block/);
  corrupt((s, rec) => s.u32[rec('d/f') + Inode.NLINK]++, /nlink 2 but 1 names/);
  corrupt((s, rec) => s.u32[rec('d') + Inode.NLINK]++, /nlink 3, expected 2/);
  corrupt((s) => s.u32[Superblock.FREE_BYTES]--, /FREE_BYTES/);
  corrupt((s, rec) => s.u8.fill(0, s.u32[rec('d') + Inode.D_HASH], s.u32[rec('d') + Inode.D_HASH] + 64), /not reachable through the hash/);
  corrupt((s, rec) => { s.u32[rec('d/f') + Inode.DATA] = s.u32[rec('d/g') + Inode.DATA]; }, /owned by ino/);
  corrupt((s, rec) => { s.u32[rec('d/f') + Inode.SIZE_LO] = 2; }, /non-zero byte past EOF/);
  corrupt((s, rec) => { s.u32[rec('d/f') + Inode.TYPE] = 0; }, /free inode|not on the free list/);
});

test('a lock held by a dead thread: EDEADLK after the timeout, recover() releases it', () => {
  const mfs = new MemoryFS({ '/f': 'x' }, { capacityBytes: 1 << 20 });
  const desc = mfs.dir('/');
  const holder = mfs.backend();
  holder.s.lock(); // as if a thread died inside an operation
  const other = new MemoryFsBackend(desc, { lockTimeoutMs: 150 });
  const t = performance.now();
  assert.throws(() => other.lstat('f'), errno(Errno.DEADLK));
  assert.ok(performance.now() - t >= 140);
  const spinner = new MemoryFsBackend(desc, { lockTimeoutMs: 150, canBlock: false });
  assert.throws(() => spinner.lstat('f'), errno(Errno.DEADLK));
  assert.equal(mfs.recover(), true);
  assert.equal(mfs.recover(), false);
  assert.equal(other.lstat('f').size, 1n);
  fsckOk(mfs);
});

const KILLED_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { MemoryFsBackend } = await import(workerData.url);
  const { id, desc } = workerData;
  const b = new MemoryFsBackend(desc);
  const W = { read: true, write: true, create: true, exclusive: false, truncate: false, directory: false, append: false };
  const big = new Uint8Array(300000).fill(id + 1);
  const small = new Uint8Array(1000).fill(id + 1);
  const dir = 'k' + id;
  try { b.mkdir(dir); } catch {}
  parentPort.postMessage('go');
  for (let i = 0; ; i++) {
    const name = dir + '/f' + (i % 40);
    try {
      const h = b.open(name, W);
      b.pwrite(h, i % 5 === 0 ? big : small, (i * 4099) % 200000);
      if (i % 7 === 0) b.ftruncate(h, (i * 977) % 250000);
      b.pwrite(h, small, 'append');
      if (i % 11 === 0) b.unlink(name); // sometimes unlinked while open
      b.close(h);
      if (i % 3 === 0) b.rename(name, dir + '/r' + (i % 17));
      if (i % 13 === 0) { try { b.mkdir(dir + '/d' + (i % 5)); } catch {} try { b.rmdir(dir + '/d' + ((i + 2) % 5)); } catch {} }
      if (i % 17 === 0) { try { b.unlink('shared' + (i % 9)); } catch {} }
      if (i % 5 === 1) { const s = b.open('shared' + (i % 9), W); b.pwrite(s, big.subarray(0, 70000 + i % 1000), 'append'); b.close(s); }
    } catch (e) {
      if (!(e && typeof e.errno === 'number')) throw e; // WasiError (e.g. ENOENT races) are fine
    }
  }
})().catch((e) => parentPort.postMessage('error: ' + (e && e.stack || e)));
`;

test('workers terminated mid-operation: recover() rolls back, fsck stays clean', { timeout: 60000 }, async () => {
  const mfs = new MemoryFS({}, { capacityBytes: 64 << 20 });
  const desc = mfs.dir('/');
  let heldAtKill = 0;
  let rounds = 0;
  while (rounds < 12 && (heldAtKill < 3 || rounds < 4)) {
    rounds++;
    const workers = Array.from({ length: 4 }, (_, id) => new Worker(KILLED_WORKER, { eval: true, workerData: { url: MEMFS_URL, id, desc } }));
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
      w.once('message', (m) => (m === 'go' ? resolve() : reject(new Error(m))));
      w.once('error', reject);
    })));
    await new Promise((r) => setTimeout(r, 30 + Math.random() * 60));
    await Promise.all(workers.map((w) => w.terminate()));
    const held = Atomics.load(new Int32Array(mfs.sab), 2) !== 0;
    if (held) heldAtKill++;
    assert.equal(mfs.recover(), held);
    const rep = fsckOk(mfs);
    assert.equal(rep.bytesFree, mfs.usage().freeBytes);
  }
  assert.ok(heldAtKill > 0, `the lock was never held at termination in ${rounds} rounds`);
  if (process.env.MEMFS_VERBOSE) console.log(`lock held at termination in ${heldAtKill}/${rounds} rounds`);
  // Still fully usable.
  mfs.writeFile('/after', 'ok');
  assert.equal(mfs.readText('/after'), 'ok');
  fsckOk(mfs);
});
