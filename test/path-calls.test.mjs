// Cheaper path calls on host directories (issue 19, third round): path_readlink answers for a directory the
// verified-directory cache vouches for with one host call and reads a guessed symlink without looking it
// up first; mkdir/rmdir leave the lookup of the final name to the host call; the resolver looks up types
// with number stats where nobody reads the Stat. Each test checks the answers stay exactly what the lookup
// gave (errnos, races with host processes) and counts the host calls the shortcut saves.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WASI } from '../dist/index.js';
import { wat2wasm } from './helpers/wat.mjs';

const E = { SUCCESS: 0, EXIST: 20, INVAL: 28, ISDIR: 31, NOENT: 44, NOTDIR: 54, NOTEMPTY: 55, PERM: 63 };
const DEEP = 'p/q/r/s/t/u';

let tmp, root, outside;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pathcalls-'));
  root = fs.realpathSync(tmp) + '/root';
  outside = fs.realpathSync(tmp) + '/outside';
  fs.mkdirSync(path.join(root, DEEP), { recursive: true });
  fs.writeFileSync(path.join(root, DEEP, 'file'), 'inside');
  fs.symlinkSync('file', path.join(root, DEEP, 'link'));
  fs.symlinkSync('..', path.join(root, DEEP, 'uplink'));
  fs.symlinkSync('gone', path.join(root, DEEP, 'dangling'));
  fs.mkdirSync(path.join(root, DEEP, 'full'));
  fs.writeFileSync(path.join(root, DEEP, 'full', 'x'), '');
  fs.mkdirSync(outside);
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A WASI instance with `dir` preopened at /sandbox (fd 3): its imports and its memory. */
async function sandboxWasi(dir) {
  const bytes = await wat2wasm(`(module (memory (export "memory") 1) (func (export "_initialize")))`);
  const wasi = new WASI({ args: ['prog'], preopens: { '/sandbox': dir } });
  const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
  wasi.initialize(instance);
  return { w: wasi.wasiImport, u8: new Uint8Array(instance.exports.memory.buffer), dv: new DataView(instance.exports.memory.buffer) };
}

/** Path calls of a guest with `dir` preopened at /sandbox (fd 3). */
async function guest(dir) {
  const { w, u8, dv } = await sandboxWasi(dir);
  const put = (p) => {
    const b = new TextEncoder().encode(p);
    u8.set(b, 100);
    return b.length;
  };
  return {
    readlink: (p, fd = 3) => {
      const r = w.path_readlink(fd, 100, put(p), 1000, 200, 300);
      return r === E.SUCCESS ? Buffer.from(u8.subarray(1000, 1000 + dv.getUint32(300, true))).toString() : r;
    },
    opendir: (p) => {
      const r = w.path_open(3, 0, 100, put(p), 2 /* DIRECTORY */, 0x1fffffbfn /* all but FD_WRITE */, 0x1fffffffn, 0, 400);
      assert.equal(r, E.SUCCESS);
      return dv.getUint32(400, true);
    },
    mkdir: (p) => w.path_create_directory(3, 100, put(p)),
    unlink: (p) => w.path_unlink_file(3, 100, put(p)),
    rmdir: (p) => w.path_remove_directory(3, 100, put(p)),
  };
}

/** Runs fn counting the host calls of the listed node:fs functions (the backend's fs is the same object). */
function count(names, fn) {
  const real = Object.fromEntries(names.map((n) => [n, fs[n]]));
  const calls = Object.fromEntries(names.map((n) => [n, 0]));
  for (const n of names) fs[n] = (...a) => (calls[n]++, real[n](...a));
  try {
    fn();
  } finally {
    Object.assign(fs, real);
  }
  return calls;
}

test('path_readlink of a directory the cache vouches for: EINVAL with one host call, never stale', async () => {
  const g = await guest(root);
  const prefixes = DEEP.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'));
  for (const p of prefixes) assert.equal(g.readlink(p), E.INVAL); // walked: the cache learns each prefix
  for (const p of prefixes) assert.equal(g.readlink(p), E.INVAL);
  // what realpath() asks (napi-rs loaders, @napi-rs/tar): one lstat per prefix, no readlink
  const calls = count(['lstatSync', 'readlinkSync'], () => {
    for (const p of prefixes) assert.equal(g.readlink(p), E.INVAL);
  });
  assert.deepEqual(calls, { lstatSync: prefixes.length, readlinkSync: 0 });
  // '' is ENOENT (not the base directory's EINVAL); a trailing slash or a dot is looked up as before
  assert.equal(g.readlink(''), E.NOENT);
  const sub = g.opendir('p/q');
  assert.equal(g.readlink('r/s', sub), E.INVAL);
  assert.equal(g.readlink('', sub), E.NOENT, 'not the directory of the fd, which the cache vouches for');
  assert.equal(g.readlink(`${DEEP}/`), E.INVAL);
  assert.equal(g.readlink(`${DEEP}/.`), E.INVAL);
  // a host process swaps the vouched-for directory for a symlink: readlink reads the link
  fs.renameSync(path.join(root, DEEP), path.join(root, 'p/q/r/s/t/moved'));
  fs.symlinkSync('moved', path.join(root, DEEP));
  assert.equal(g.readlink(DEEP), 'moved');
  // ... or for a regular file, or removes it
  fs.rmSync(path.join(root, DEEP));
  fs.writeFileSync(path.join(root, DEEP), '');
  assert.equal(g.readlink(DEEP), E.INVAL);
  fs.rmSync(path.join(root, DEEP));
  assert.equal(g.readlink(DEEP), E.NOENT);
});

test('path_readlink after a symlink reads the next name directly: one host call, the same answers', async () => {
  const g = await guest(root);
  assert.equal(g.readlink(`${DEEP}/link`), 'file'); // walked
  assert.equal(g.readlink(`${DEEP}/link`), 'file');
  const calls = count(['lstatSync', 'readlinkSync'], () => assert.equal(g.readlink(`${DEEP}/link`), 'file'));
  assert.deepEqual(calls, { lstatSync: 1, readlinkSync: 1 }, 'the directory checked, the link read; no lstat of the link');
  // a wrong guess answers as the lookup does
  assert.equal(g.readlink(`${DEEP}/file`), E.INVAL);
  assert.equal(g.readlink(`${DEEP}/link`), 'file');
  assert.equal(g.readlink(`${DEEP}/nope`), E.NOENT);
  assert.equal(g.readlink(`${DEEP}/link`), 'file');
  assert.equal(g.readlink(`${DEEP}/full`), E.INVAL);
  assert.equal(g.readlink(`${DEEP}/dangling`), 'gone');
  assert.equal(g.readlink(`${DEEP}/uplink`), '..');
  assert.equal(g.readlink(`${DEEP}/link/`), E.NOTDIR, 'a trailing slash follows the link: a file then');
  assert.equal(g.readlink(`${DEEP}/uplink`), '..');
  assert.equal(g.readlink(`${DEEP}/uplink/`), E.INVAL, 'a trailing slash follows the link: a directory');
  assert.equal(g.readlink(`${DEEP}/file/x`), E.NOTDIR);
  assert.equal(g.readlink('p/../..'), E.PERM);
  assert.equal(g.readlink(`${DEEP}/link`), 'file');
  assert.equal(g.readlink('/etc'), E.PERM);
  // a host process swaps the directory of the guessed name for a symlink to outside: never read there
  fs.mkdirSync(path.join(outside, 'u'));
  fs.symlinkSync('SECRET', path.join(outside, 'u', 'link'));
  fs.renameSync(path.join(root, DEEP), path.join(root, 'p/q/r/s/t/moved'));
  fs.symlinkSync(path.join(outside, 'u'), path.join(root, DEEP));
  assert.equal(g.readlink(`${DEEP}/link`), E.PERM);
});

test('mkdir and rmdir leave the lookup of the final name to the host call, with the same errnos', async () => {
  const g = await guest(root);
  assert.equal(g.mkdir(`${DEEP}/new`), E.SUCCESS); // walks DEEP: the cache holds it from now on
  assert.equal(g.rmdir(`${DEEP}/new`), E.SUCCESS);
  const calls = count(['lstatSync', 'mkdirSync', 'rmdirSync'], () => {
    assert.equal(g.mkdir(`${DEEP}/new`), E.SUCCESS);
    assert.equal(g.rmdir(`${DEEP}/new`), E.SUCCESS);
  });
  assert.deepEqual(calls, { lstatSync: 0, mkdirSync: 1, rmdirSync: 1 }, 'no lookup of the name (the held directory is checked by its fd name)');
  assert.ok(!fs.existsSync(path.join(root, DEEP, 'new')));
  // what the lookup reported before, now from the host
  assert.equal(g.mkdir(`${DEEP}/full`), E.EXIST);
  assert.equal(g.mkdir(`${DEEP}/file`), E.EXIST);
  assert.equal(g.mkdir(`${DEEP}/link`), E.EXIST);
  assert.equal(g.mkdir(`${DEEP}/dangling`), E.EXIST);
  assert.ok(!fs.existsSync(path.join(root, DEEP, 'gone')), 'a dangling symlink is not followed');
  assert.equal(g.mkdir(`${DEEP}/nope/new`), E.NOENT);
  assert.equal(g.mkdir(`${DEEP}/file/new`), E.NOTDIR);
  assert.equal(g.rmdir(`${DEEP}/nope`), E.NOENT);
  assert.equal(g.rmdir(`${DEEP}/file`), E.NOTDIR);
  assert.equal(g.rmdir(`${DEEP}/link`), E.NOTDIR);
  assert.equal(g.rmdir(`${DEEP}/uplink`), E.NOTDIR);
  assert.ok(fs.existsSync(path.join(root, DEEP, 'uplink')) && fs.existsSync(path.join(root, 'p/q/r/s/t')), 'a symlink to a directory is not followed');
  assert.equal(g.rmdir(`${DEEP}/full`), E.NOTEMPTY);
  assert.equal(g.rmdir(`${DEEP}/.`), E.NOTEMPTY);
  assert.equal(g.rmdir('.'), E.INVAL);
  assert.equal(g.mkdir('..'), E.PERM);
  assert.equal(g.mkdir('/abs'), E.PERM);
  // a trailing slash: looked up as before
  assert.equal(g.mkdir(`${DEEP}/slash/`), E.SUCCESS);
  assert.equal(g.rmdir(`${DEEP}/slash/`), E.SUCCESS);
  // a host process swaps the directory for a symlink to outside: nothing made or removed there
  fs.mkdirSync(path.join(outside, 'u', 'victim'), { recursive: true });
  fs.renameSync(path.join(root, DEEP), path.join(root, 'p/q/r/s/t/moved'));
  fs.symlinkSync(path.join(outside, 'u'), path.join(root, DEEP));
  assert.equal(g.mkdir(`${DEEP}/made`), E.PERM);
  assert.equal(g.rmdir(`${DEEP}/victim`), E.PERM);
  assert.deepEqual(fs.readdirSync(path.join(outside, 'u')), ['victim']);
});

test('unlink leaves the lookup of the final name to the host call, with the same errnos', async () => {
  const g = await guest(root);
  const file = (name) => fs.writeFileSync(path.join(root, DEEP, name), 'x');
  file('a');
  file('b');
  assert.equal(g.unlink(`${DEEP}/a`), E.SUCCESS); // walks DEEP: the cache holds it from now on
  const calls = count(['lstatSync', 'unlinkSync'], () => assert.equal(g.unlink(`${DEEP}/b`), E.SUCCESS));
  assert.deepEqual(calls, { lstatSync: 0, unlinkSync: 1 }, 'no lookup of the name');
  assert.ok(!fs.existsSync(path.join(root, DEEP, 'b')));
  // what the lookup reported before, now from the host
  assert.equal(g.unlink(`${DEEP}/nope`), E.NOENT);
  assert.equal(g.unlink(`${DEEP}/full`), E.ISDIR);
  assert.ok(fs.existsSync(path.join(root, DEEP, 'full', 'x')));
  assert.equal(g.unlink(`${DEEP}/nope/x`), E.NOENT);
  assert.equal(g.unlink(`${DEEP}/file/x`), E.NOTDIR);
  assert.equal(g.unlink(`${DEEP}/file/`), E.NOTDIR, 'a trailing slash: looked up as before');
  assert.equal(g.unlink(`${DEEP}/uplink`), E.SUCCESS, 'a symlink to a directory: the link goes, not followed');
  assert.ok(fs.existsSync(path.join(root, 'p/q/r/s/t')) && !fs.existsSync(path.join(root, DEEP, 'uplink')));
  assert.equal(g.unlink(`${DEEP}/dangling`), E.SUCCESS);
  assert.equal(g.unlink(`${DEEP}/link`), E.SUCCESS);
  assert.equal(fs.readFileSync(path.join(root, DEEP, 'file'), 'utf8'), 'inside', 'the link target stays');
  assert.equal(g.unlink('..'), E.PERM);
  assert.equal(g.unlink(`${DEEP}/.`), E.ISDIR);
  // a host process swaps the directory for a symlink to outside: nothing removed there
  fs.mkdirSync(path.join(outside, 'u'), { recursive: true });
  fs.writeFileSync(path.join(outside, 'u', 'victim'), 'v');
  fs.renameSync(path.join(root, DEEP), path.join(root, 'p/q/r/s/t/moved'));
  fs.symlinkSync(path.join(outside, 'u'), path.join(root, DEEP));
  assert.equal(g.unlink(`${DEEP}/victim`), E.PERM);
  assert.deepEqual(fs.readdirSync(path.join(outside, 'u')), ['victim']);
});

test('isCanonicalPath (a scan now) agrees with its definition on every short path of a, ., / and NUL', async () => {
  const { isCanonicalPath } = await import('../dist/fs/path.js');
  const byDefinition = (p) => p === '' || (!p.includes('\0') && p.split('/').every((c) => c !== '' && c !== '.' && c !== '..'));
  const walk = (p, depth) => {
    assert.equal(isCanonicalPath(p), byDefinition(p), JSON.stringify(p));
    if (depth < 6) for (const c of ['a', '.', '/', '\0']) walk(p + c, depth + 1);
  };
  walk('', 0);
});

test('fd_readdir: dirents written straight into guest memory, cut at any buffer size, from any cookie', async () => {
  const dir = path.join(root, 'list');
  fs.mkdirSync(dir);
  const names = ['a', 'héllo-ü', 'z'.repeat(40), '日本', 'sub'];
  for (const n of names.slice(0, 4)) fs.writeFileSync(path.join(dir, n), '');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.symlinkSync('a', path.join(dir, 'ln'));
  const { w, u8, dv } = await sandboxWasi(dir);
  const read = (len, cookie = 0n) => {
    u8.fill(0xee, 4096, 4096 + 2048);
    assert.equal(w.fd_readdir(3, 4096, len, cookie, 100), E.SUCCESS);
    const used = dv.getUint32(100, true);
    assert.equal(u8[4096 + used], len > used ? 0xee : u8[4096 + used], 'nothing written past bufused');
    return Buffer.from(u8.subarray(4096, 4096 + used));
  };
  // the whole listing, parsed: cookies 1..n, the host's inode numbers and types, UTF-8 names
  const all = read(2048);
  const got = [];
  for (let at = 0; at < all.length;) {
    const namlen = all.readUInt32LE(at + 16);
    got.push({ next: all.readBigUInt64LE(at), ino: all.readBigUInt64LE(at + 8), type: all[at + 20], name: all.subarray(at + 24, at + 24 + namlen).toString() });
    assert.deepEqual([...all.subarray(at + 21, at + 24)], [0, 0, 0], 'padding');
    at += 24 + namlen;
  }
  const want = ['.', '..', ...names, 'ln'].sort((a, b) => (a === '.' || (a === '..' && b !== '.') ? -1 : Buffer.compare(Buffer.from(a), Buffer.from(b))));
  assert.deepEqual(got.map((e) => e.name).slice(2).sort(), want.slice(2).sort());
  got.forEach((e, i) => assert.equal(e.next, BigInt(i + 1)));
  for (const e of got.slice(2)) {
    const st = fs.lstatSync(path.join(dir, e.name), { bigint: true });
    assert.equal(e.ino, st.ino, e.name);
    assert.equal(e.type, st.isDirectory() ? 3 : st.isSymbolicLink() ? 7 : 4, e.name);
  }
  // any smaller buffer gets the same bytes up to its size (the last dirent cut), and a cookie resumes there
  for (let len = 1; len < all.length + 8; len++) assert.deepEqual(read(len), all.subarray(0, Math.min(len, all.length)), `buffer of ${len}`);
  let at = 0;
  for (let i = 0; i < got.length; i++) {
    assert.deepEqual(read(2048, BigInt(i)), all.subarray(at), `from cookie ${i}`);
    at += 24 + all.readUInt32LE(at + 16);
  }
  assert.equal(read(2048, 1000n).length, 0);
});

test('fd_filestat_set_times with both times given takes no stat before (one fewer host call); times read back exact', async () => {
  const bytes = await wat2wasm(`(module (memory (export "memory") 1) (func (export "_initialize")))`);
  const wasi = new WASI({ args: ['prog'], preopens: { '/sandbox': root } });
  const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
  wasi.initialize(instance);
  const w = wasi.wasiImport;
  const u8 = new Uint8Array(instance.exports.memory.buffer), dv = new DataView(instance.exports.memory.buffer);
  const name = new TextEncoder().encode(`${DEEP}/file`);
  u8.set(name, 100);
  assert.equal(w.path_open(3, 0, 100, name.length, 0, 0x1fffffffn, 0x1fffffffn, 0, 200), E.SUCCESS);
  const fd = dv.getUint32(200, true);
  const times = () => {
    assert.equal(w.fd_filestat_get(fd, 300), E.SUCCESS);
    return [dv.getBigUint64(300 + 40, true), dv.getBigUint64(300 + 48, true)]; // atim, mtim
  };
  const SET = 1 | 4; // ATIM | MTIM
  const a = 1_600_000_000_123_456_789n, m = 1_650_000_000_987_654_321n;
  const calls = count(['fstatSync', 'futimesSync'], () => assert.equal(w.fd_filestat_set_times(fd, a, m, SET), E.SUCCESS));
  assert.deepEqual(calls, { fstatSync: 1, futimesSync: 1 }, 'the stat after (what the host stored), none before');
  assert.deepEqual(times(), [a, m]);
  // one time left as it is: the stat before is taken, and the kept time stays exact
  const m2 = 1_700_000_000_000_000_001n;
  const calls2 = count(['fstatSync', 'futimesSync'], () => assert.equal(w.fd_filestat_set_times(fd, 0n, m2, 4), E.SUCCESS));
  assert.deepEqual(calls2, { fstatSync: 2, futimesSync: 1 });
  assert.deepEqual(times(), [a, m2]);
  assert.equal(w.fd_close(fd), E.SUCCESS);
});

test('fd_readdir of a settled directory: inode numbers remembered (no lstat per entry), never stale after a change', async () => {
  const dir = path.join(root, 'settled');
  fs.mkdirSync(dir);
  const N = 40;
  for (let i = 0; i < N; i++) fs.writeFileSync(path.join(dir, `f${i}`), '');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.symlinkSync('f1', path.join(dir, 'ln'));
  const { w, u8, dv } = await sandboxWasi(dir);
  /** A whole listing (cookie 0: listed anew) as name -> [ino, type]. */
  const list = () => {
    assert.equal(w.fd_readdir(3, 4096, 60000, 0n, 100), E.SUCCESS);
    const all = Buffer.from(u8.subarray(4096, 4096 + dv.getUint32(100, true)));
    const got = new Map();
    for (let at = 0; at < all.length; at += 24 + all.readUInt32LE(at + 16)) {
      got.set(all.subarray(at + 24, at + 24 + all.readUInt32LE(at + 16)).toString(), [all.readBigUInt64LE(at + 8), all[at + 20]]);
    }
    got.delete('.');
    got.delete('..');
    return got;
  };
  const exact = (got) => {
    assert.deepEqual([...got.keys()].sort(), fs.readdirSync(dir).sort());
    for (const [name, [ino, type]] of got) {
      const st = fs.lstatSync(path.join(dir, name), { bigint: true });
      assert.equal(ino, st.ino, name);
      assert.equal(type, st.isDirectory() ? 3 : st.isSymbolicLink() ? 7 : 4, name);
    }
  };
  // Fresh: every listing stats each entry and none is remembered.
  let got;
  assert.ok(count(['lstatSync'], () => (got = list())).lstatSync >= N + 2);
  exact(got);
  assert.ok(count(['lstatSync'], () => (got = list())).lstatSync >= N + 2, 'a directory changed less than 3 s ago is not remembered');
  // Settled (ctime more than 3 s old): the next listing stats each entry once, the later ones none.
  await new Promise((r) => setTimeout(r, 3200));
  assert.ok(count(['lstatSync'], () => (got = list())).lstatSync >= N + 2);
  exact(got);
  for (let i = 0; i < 3; i++) {
    assert.ok(count(['lstatSync'], () => (got = list())).lstatSync <= 2, 'remembered: no lstat per entry');
    exact(got);
  }
  // A host process replaces an entry (a new inode under the same name: the same names listed): exact at once.
  const before = got.get('f1')[0];
  fs.writeFileSync(path.join(tmp, 'new'), 'x');
  fs.renameSync(path.join(tmp, 'new'), path.join(dir, 'f1'));
  assert.ok(count(['lstatSync'], () => (got = list())).lstatSync >= N + 2);
  exact(got);
  assert.notEqual(got.get('f1')[0], before);
  // ... adds and removes some: exact at once.
  fs.mkdirSync(path.join(dir, 'f2-dir'));
  fs.unlinkSync(path.join(dir, 'f3'));
  assert.ok(count(['lstatSync'], () => (got = list())).lstatSync >= N + 2);
  exact(got);
  assert.equal(got.get('f2-dir')[1], 3);
  // A change made by the guest itself also shows at once.
  fs.rmSync(path.join(dir, 'f4'));
  got = list();
  exact(got);
  assert.equal(got.has('f4'), false);
});
