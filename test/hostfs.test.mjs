// HostFsBackend (src/host/node/hostfs.ts): every method, exact errnos, read-only mode, cross-thread handles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { HostFsBackend } from '../dist/host/node/hostfs.js';
import { Errno, WasiError } from '../dist/abi/errno.js';
import { Filetype } from '../dist/abi/constants.js';

let tmp, root, outside, be, robe;

const errno = (n) => (e) => {
  assert.ok(e instanceof WasiError, `expected WasiError, got ${e}`);
  assert.equal(e.errno, n, `expected errno ${n}, got ${e.errno} (${e.message})`);
  return true;
};
const O = (o = {}) => ({ read: true, write: false, create: false, exclusive: false, truncate: false, directory: false, append: false, ...o });
const host = (p) => path.join(root, p);
const readAll = (b, h, n = 64) => {
  const buf = new Uint8Array(n);
  const got = b.pread(h, buf, 0);
  return Buffer.from(buf.subarray(0, got)).toString();
};

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-hostfs-'));
  root = path.join(tmp, 'root');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'SECRET');
  fs.mkdirSync(path.join(root, 'd', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'd', 'x'), 'x');
  fs.writeFileSync(host('f'), 'hello world');
  fs.mkdirSync(host('empty'));
  fs.symlinkSync('f', host('lf'));
  fs.symlinkSync('d', host('ld'));
  fs.symlinkSync('/etc', host('letc'));
  be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  robe = new HostFsBackend({ kind: 'host', root, readOnly: true });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('constructor and describe', () => {
  const { times, lookups, ...d } = be.describe();
  assert.deepEqual(d, { kind: 'host', root, readOnly: false });
  assert.ok(times instanceof SharedArrayBuffer); // the record of set times travels with the descriptor
  assert.ok(lookups instanceof SharedArrayBuffer); // so does the generation of the verified-directory caches
  assert.deepEqual({ ...robe.describe(), times: undefined, lookups: undefined }, { kind: 'host', root, readOnly: true, times: undefined, lookups: undefined });
  assert.equal(be.readOnly, false);
  assert.equal(robe.readOnly, true);
  assert.equal(be.realRoot, fs.realpathSync(root));
  assert.throws(() => new HostFsBackend({ kind: 'host', root: path.join(tmp, 'nope'), readOnly: false }), errno(Errno.NOENT));
  assert.throws(() => new HostFsBackend({ kind: 'host', root: host('f'), readOnly: false }), errno(Errno.NOTDIR));
  // A root given through a symlink works and is canonicalised.
  fs.symlinkSync(root, path.join(tmp, 'rootlink'));
  const viaLink = new HostFsBackend({ kind: 'host', root: path.join(tmp, 'rootlink'), readOnly: false });
  assert.equal(viaLink.realRoot, be.realRoot);
  viaLink.close(viaLink.open('f', O()));
});

test('non-canonical backend paths are rejected', () => {
  for (const p of ['../x', '/etc', 'a/../b', './f', 'd/', 'd//x', 'f\0']) {
    assert.throws(() => be.lstat(p), errno(Errno.INVAL), p);
  }
});

test('lstat', () => {
  const st = be.lstat('f');
  const ref = fs.lstatSync(host('f'), { bigint: true });
  assert.equal(st.filetype, Filetype.REGULAR_FILE);
  assert.equal(st.size, 11n);
  assert.equal(typeof st.ino, 'bigint');
  assert.equal(st.ino, ref.ino);
  assert.equal(st.dev, ref.dev);
  assert.equal(st.nlink, 1n);
  assert.equal(st.mtimNs, ref.mtimeNs);
  assert.equal(st.atimNs, ref.atimeNs);
  assert.equal(st.ctimNs, ref.ctimeNs);
  assert.equal(be.lstat('').filetype, Filetype.DIRECTORY);
  assert.equal(be.lstat('d').filetype, Filetype.DIRECTORY);
  assert.equal(be.lstat('lf').filetype, Filetype.SYMBOLIC_LINK);
  assert.equal(be.lstat('letc').filetype, Filetype.SYMBOLIC_LINK); // not followed
  assert.throws(() => be.lstat('missing'), errno(Errno.NOENT));
  assert.throws(() => be.lstat('f/x'), errno(Errno.NOTDIR));
});

test('readlink', () => {
  assert.equal(be.readlink('lf'), 'f');
  assert.equal(be.readlink('letc'), '/etc');
  assert.throws(() => be.readlink('f'), errno(Errno.INVAL));
  assert.throws(() => be.readlink('d'), errno(Errno.INVAL));
  assert.throws(() => be.readlink('missing'), errno(Errno.NOENT));
});

test('open/close: files, directories and their errnos', () => {
  const h = be.open('f', O());
  assert.equal(typeof h, 'number');
  assert.equal(readAll(be, h), 'hello world');
  be.close(h);
  assert.throws(() => be.close(h), errno(Errno.BADF));

  const dh = be.open('d', O({ directory: true }));
  assert.equal(be.fstat(dh).filetype, Filetype.DIRECTORY);
  be.close(dh);
  const rootH = be.open('', O());
  assert.equal(be.fstat(rootH).filetype, Filetype.DIRECTORY);
  be.close(rootH);

  assert.throws(() => be.open('d', O({ write: true })), errno(Errno.ISDIR));
  assert.throws(() => be.open('f', O({ directory: true })), errno(Errno.NOTDIR));
  assert.throws(() => be.open('lf', O()), errno(Errno.LOOP));
  assert.throws(() => be.open('ld', O({ directory: true })), errno(Errno.LOOP));
  assert.throws(() => be.open('letc', O({ directory: true })), errno(Errno.LOOP));
  assert.throws(() => be.open('lf', O({ write: true, create: true })), errno(Errno.LOOP));
  assert.throws(() => be.open('missing', O()), errno(Errno.NOENT));
  assert.throws(() => be.open('nodir/new', O({ write: true, create: true })), errno(Errno.NOENT));
  assert.throws(() => be.open('f/x', O()), errno(Errno.NOTDIR));
  assert.throws(() => be.open('f', O({ write: true, create: true, exclusive: true })), errno(Errno.EXIST));

  const c = be.open('created', O({ write: true, create: true, exclusive: true }));
  assert.equal(be.pwrite(c, new TextEncoder().encode('abc'), 0), 3);
  be.close(c);
  assert.equal(fs.readFileSync(host('created'), 'utf8'), 'abc');
  const t = be.open('created', O({ write: true, truncate: true }));
  assert.equal(be.fstat(t).size, 0n);
  be.close(t);
  fs.unlinkSync(host('created'));
});

test('pread', () => {
  const h = be.open('f', O());
  const buf = new Uint8Array(5);
  assert.equal(be.pread(h, buf, 6), 5);
  assert.equal(Buffer.from(buf).toString(), 'world');
  assert.equal(be.pread(h, buf, 11), 0); // EOF
  assert.equal(be.pread(h, buf, 1000), 0);
  assert.equal(be.pread(h, new Uint8Array(0), 0), 0);
  // Guest memory is a SharedArrayBuffer with threads.
  const shared = new Uint8Array(new SharedArrayBuffer(32), 8, 5);
  assert.equal(be.pread(h, shared, 0), 5);
  assert.equal(Buffer.from(shared).toString(), 'hello');
  assert.throws(() => be.pread(h, buf, -1), errno(Errno.INVAL));
  assert.throws(() => be.pread(h, buf, 1.5), errno(Errno.INVAL));
  be.close(h);
  assert.throws(() => be.pread(h, buf, 0), errno(Errno.BADF));
  const dh = be.open('d', O({ directory: true }));
  assert.throws(() => be.pread(dh, buf, 0), errno(Errno.ISDIR));
  be.close(dh);
});

test('pwrite: positions, append, errnos', () => {
  fs.writeFileSync(host('w'), '0123456789');
  const h = be.open('w', O({ write: true }));
  assert.equal(be.pwrite(h, new TextEncoder().encode('ab'), 3), 2);
  assert.equal(be.pwrite(h, new TextEncoder().encode('Z'), 12), 1); // leaves a hole
  assert.equal(fs.readFileSync(host('w'), 'latin1'), '012ab56789\0\0Z');
  const shared = new Uint8Array(new SharedArrayBuffer(4));
  shared.set([0x51, 0x52]);
  assert.equal(be.pwrite(h, shared.subarray(0, 2), 0), 2);
  assert.throws(() => be.pwrite(h, shared, -2), errno(Errno.INVAL));
  be.close(h);
  assert.equal(fs.readFileSync(host('w'), 'latin1').slice(0, 2), 'QR');

  fs.writeFileSync(host('log'), 'start\n');
  const a = be.open('log', O({ read: false, write: true, append: true }));
  assert.equal(be.pwrite(a, new TextEncoder().encode('one\n'), 'append'), 4);
  // Linux: pwrite on an O_APPEND fd appends whatever the position.
  assert.equal(be.pwrite(a, new TextEncoder().encode('two\n'), 0), 4);
  be.close(a);
  assert.equal(fs.readFileSync(host('log'), 'utf8'), 'start\none\ntwo\n');

  const r = be.open('f', O());
  assert.throws(() => be.pwrite(r, new Uint8Array(1), 0), errno(Errno.BADF));
  be.close(r);
  const dh = be.open('d', O({ directory: true }));
  assert.throws(() => be.pwrite(dh, new Uint8Array(1), 0), errno(Errno.BADF));
  be.close(dh);
});

test('fstat, ftruncate, fsync', () => {
  fs.writeFileSync(host('t'), 'abcdef');
  const h = be.open('t', O({ write: true }));
  const st = be.fstat(h);
  assert.equal(st.size, 6n);
  assert.equal(st.ino, fs.lstatSync(host('t'), { bigint: true }).ino);
  be.ftruncate(h, 2);
  assert.equal(be.fstat(h).size, 2n);
  be.ftruncate(h, 100);
  assert.equal(be.fstat(h).size, 100n);
  assert.throws(() => be.ftruncate(h, -1), errno(Errno.INVAL));
  be.fsync(h, false);
  be.fsync(h, true);
  be.close(h);
  assert.throws(() => be.fstat(h), errno(Errno.BADF));
  assert.throws(() => be.fsync(h, false), errno(Errno.BADF));
  const r = be.open('t', O());
  assert.throws(() => be.ftruncate(r, 0), errno(Errno.INVAL)); // not open for writing
  be.close(r);
  const dh = be.open('d', O({ directory: true }));
  be.fsync(dh, false); // directories can be synced
  be.close(dh);
});

test('futimes and utimes (ns input, ~µs precision)', () => {
  fs.writeFileSync(host('u'), '');
  const h = be.open('u', O({ write: true }));
  const at = 1_600_000_000_123_456_789n, mt = 1_500_000_000_987_654_321n;
  be.futimes(h, at, mt);
  let st = be.fstat(h);
  assert.ok(st.atimNs - at < 1000n && at - st.atimNs < 1000n, `atim ${st.atimNs}`);
  assert.ok(st.mtimNs - mt < 1000n && mt - st.mtimNs < 1000n, `mtim ${st.mtimNs}`);
  // undefined leaves a time (almost) unchanged; 'now' is close to now.
  const before = BigInt(Date.now()) * 1_000_000n;
  be.futimes(h, undefined, 'now');
  st = be.fstat(h);
  assert.ok(st.atimNs - at < 1000n && at - st.atimNs < 1000n);
  assert.ok(st.mtimNs >= before - 10_000_000n && st.mtimNs < before + 5_000_000_000n, `now ${st.mtimNs}`);
  be.futimes(h, undefined, undefined);
  be.close(h);
  assert.throws(() => be.futimes(h, 'now', 'now'), errno(Errno.BADF));

  // utimes does not follow a final symlink.
  const targetBefore = be.lstat('f').mtimNs;
  be.utimes('lf', 'now', 1_000_000_000_000_000_000n);
  assert.ok(Math.abs(Number(be.lstat('lf').mtimNs - 1_000_000_000_000_000_000n)) < 1000);
  assert.equal(be.lstat('f').mtimNs, targetBefore);
  be.utimes('u', 2_000_000_000_000_000_000n, undefined);
  assert.ok(Math.abs(Number(be.lstat('u').atimNs - 2_000_000_000_000_000_000n)) < 1000);
  be.utimes('', undefined, 'now'); // the root itself
  assert.throws(() => be.utimes('missing', 'now', 'now'), errno(Errno.NOENT));
  fs.unlinkSync(host('u'));
});

test('readdir: sorted entries with real inodes', () => {
  for (const mode of ['auto', 'walk']) {
    const b = new HostFsBackend({ kind: 'host', root, readOnly: false });
    b.fdCheck = mode;
    const h = b.open('d', O({ directory: true }));
    const ents = b.readdir(h);
    assert.deepEqual(ents.map((e) => e.name), ['sub', 'x']);
    assert.deepEqual(ents.map((e) => e.filetype), [Filetype.DIRECTORY, Filetype.REGULAR_FILE]);
    for (const e of ents) assert.equal(e.ino, fs.lstatSync(host(`d/${e.name}`), { bigint: true }).ino);
    assert.deepEqual(b.readdir(h), ents); // stable, repeatable
    b.close(h);
    assert.throws(() => b.readdir(h), errno(Errno.BADF));
  }
  const rh = be.open('', O());
  const names = be.readdir(rh).map((e) => e.name);
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes('lf') && !names.includes('.') && !names.includes('..'));
  assert.equal(be.readdir(rh).find((e) => e.name === 'lf').filetype, Filetype.SYMBOLIC_LINK);
  be.close(rh);
  const eh = be.open('empty', O({ directory: true }));
  assert.deepEqual(be.readdir(eh), []);
  be.close(eh);
  const fh = be.open('f', O());
  assert.throws(() => be.readdir(fh), errno(Errno.NOTDIR));
  be.close(fh);
  // Without /proc, a handle opened by another instance (another thread) cannot be listed.
  const other = new HostFsBackend({ kind: 'host', root, readOnly: false });
  other.fdCheck = 'walk';
  const dh = be.open('d', O({ directory: true }));
  assert.throws(() => other.readdir(dh), errno(Errno.NOTSUP));
  be.close(dh);
});

test('mkdir / rmdir', () => {
  be.mkdir('nd');
  assert.ok(fs.statSync(host('nd')).isDirectory());
  assert.throws(() => be.mkdir('nd'), errno(Errno.EXIST));
  assert.throws(() => be.mkdir('f'), errno(Errno.EXIST));
  assert.throws(() => be.mkdir('lf'), errno(Errno.EXIST));
  assert.throws(() => be.mkdir(''), errno(Errno.EXIST));
  assert.throws(() => be.mkdir('no/such'), errno(Errno.NOENT));
  assert.throws(() => be.mkdir('f/x'), errno(Errno.NOTDIR));
  assert.throws(() => be.rmdir('d'), errno(Errno.NOTEMPTY));
  assert.throws(() => be.rmdir('f'), errno(Errno.NOTDIR));
  assert.throws(() => be.rmdir('ld'), errno(Errno.NOTDIR)); // symlink to a dir is not a dir
  assert.throws(() => be.rmdir('missing'), errno(Errno.NOENT));
  assert.throws(() => be.rmdir(''), errno(Errno.BUSY));
  be.rmdir('nd');
  assert.ok(!fs.existsSync(host('nd')));
});

test('unlink', () => {
  fs.writeFileSync(host('gone'), '');
  be.unlink('gone');
  assert.ok(!fs.existsSync(host('gone')));
  assert.throws(() => be.unlink('gone'), errno(Errno.NOENT));
  assert.throws(() => be.unlink('d'), errno(Errno.ISDIR));
  assert.throws(() => be.unlink('f/x'), errno(Errno.NOTDIR));
  fs.symlinkSync('d', host('ld2'));
  be.unlink('ld2'); // removes the link, not the directory
  assert.ok(fs.statSync(host('d')).isDirectory());
});

test('rename', () => {
  fs.writeFileSync(host('r1'), 'r1');
  be.rename('r1', 'r2');
  assert.equal(fs.readFileSync(host('r2'), 'utf8'), 'r1');
  fs.writeFileSync(host('r3'), 'r3');
  be.rename('r3', 'r2'); // replaces a file
  assert.equal(fs.readFileSync(host('r2'), 'utf8'), 'r3');
  fs.mkdirSync(host('rd'));
  assert.throws(() => be.rename('rd', 'd'), errno(Errno.NOTEMPTY));
  assert.throws(() => be.rename('r2', 'rd'), errno(Errno.ISDIR));
  assert.throws(() => be.rename('rd', 'r2'), errno(Errno.NOTDIR));
  assert.throws(() => be.rename('missing', 'x'), errno(Errno.NOENT));
  assert.throws(() => be.rename('rd', 'rd/inner'), errno(Errno.INVAL)); // into itself
  assert.throws(() => be.rename('', 'x'), errno(Errno.BUSY));
  assert.throws(() => be.rename('rd', ''), errno(Errno.BUSY));
  be.rename('rd', 'empty'); // an empty directory may be replaced
  assert.ok(fs.statSync(host('empty')).isDirectory() && !fs.existsSync(host('rd')));
  fs.unlinkSync(host('r2'));
});

test('rename across filesystems => EXDEV', (t) => {
  // Needs a root spanning two filesystems: use '/' with a temp file and /dev/shm when they differ.
  let shm;
  try {
    shm = fs.statSync('/dev/shm');
  } catch {
    return t.skip('no /dev/shm');
  }
  if (shm.dev === fs.statSync(tmp).dev) return t.skip('tmp and /dev/shm share a filesystem');
  const all = new HostFsBackend({ kind: 'host', root: '/', readOnly: false });
  const src = path.relative('/', fs.realpathSync(host('f')));
  const dst = `dev/shm/weft-exdev-${process.pid}`;
  try {
    assert.throws(() => all.rename(src, dst), errno(Errno.XDEV));
    assert.throws(() => all.link(src, dst), errno(Errno.XDEV));
  } finally {
    fs.rmSync(`/${dst}`, { force: true });
  }
});

test('link', () => {
  be.link('f', 'hard');
  assert.equal(be.lstat('hard').ino, be.lstat('f').ino);
  assert.equal(be.lstat('f').nlink, 2n);
  assert.throws(() => be.link('f', 'hard'), errno(Errno.EXIST));
  assert.throws(() => be.link('f', 'd'), errno(Errno.EXIST));
  assert.throws(() => be.link('f', 'f'), errno(Errno.EXIST));
  assert.throws(() => be.link('d', 'dlink'), errno(Errno.PERM)); // no hard links to directories
  assert.throws(() => be.link('missing', 'x'), errno(Errno.NOENT));
  assert.throws(() => be.link('f', 'no/such'), errno(Errno.NOENT));
  be.link('lf', 'hard_to_link'); // the symlink itself, not its target
  assert.equal(be.lstat('hard_to_link').filetype, Filetype.SYMBOLIC_LINK);
  be.unlink('hard_to_link');
  be.unlink('hard');
});

test('symlink', () => {
  be.symlink('d/x', 'sl');
  assert.equal(be.readlink('sl'), 'd/x');
  be.symlink('nowhere', 'dangling'); // dangling links may be created
  assert.equal(be.lstat('dangling').filetype, Filetype.SYMBOLIC_LINK);
  assert.throws(() => be.symlink('x', 'sl'), errno(Errno.EXIST));
  assert.throws(() => be.symlink('x', 'd'), errno(Errno.EXIST));
  assert.throws(() => be.symlink('x', 'no/such'), errno(Errno.NOENT));
  assert.throws(() => be.symlink('x\0y', 'bad'), errno(Errno.INVAL));
  be.unlink('sl');
  be.unlink('dangling');
});

test('read-only backend => EROFS for every mutation', () => {
  const h = robe.open('f', O());
  assert.equal(readAll(robe, h), 'hello world');
  assert.equal(robe.fstat(h).size, 11n);
  robe.fsync(h, false);
  assert.throws(() => robe.pwrite(h, new Uint8Array(1), 0), errno(Errno.ROFS));
  assert.throws(() => robe.ftruncate(h, 0), errno(Errno.ROFS));
  assert.throws(() => robe.futimes(h, 'now', 'now'), errno(Errno.ROFS));
  robe.close(h);
  const dh = robe.open('d', O({ directory: true }));
  assert.equal(robe.readdir(dh).length, 2);
  robe.close(dh);
  for (const o of [{ write: true }, { create: true }, { truncate: true }, { append: true }, { write: true, create: true, exclusive: true }]) {
    assert.throws(() => robe.open('f', O(o)), errno(Errno.ROFS), JSON.stringify(o));
  }
  assert.throws(() => robe.mkdir('x'), errno(Errno.ROFS));
  assert.throws(() => robe.rmdir('empty'), errno(Errno.ROFS));
  assert.throws(() => robe.unlink('f'), errno(Errno.ROFS));
  assert.throws(() => robe.rename('f', 'g'), errno(Errno.ROFS));
  assert.throws(() => robe.link('f', 'g'), errno(Errno.ROFS));
  assert.throws(() => robe.symlink('f', 'g'), errno(Errno.ROFS));
  assert.throws(() => robe.utimes('f', 'now', 'now'), errno(Errno.ROFS));
  assert.equal(robe.readlink('lf'), 'f');
  assert.ok(fs.existsSync(host('f')) && !fs.existsSync(host('g')));
});

test('open: an fd that ends up outside the root is closed and refused (EPERM)', () => {
  for (const mode of ['auto', 'proc', 'walk']) {
    const b = new HostFsBackend({ kind: 'host', root, readOnly: false });
    b.fdCheck = mode;
    // 'esc' is a directory when the kernel resolved it, then gets swapped for a symlink to outside.
    fs.symlinkSync(outside, host('esc'));
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    assert.throws(() => b.open('esc/secret.txt', O()), errno(Errno.PERM), mode);
    assert.throws(() => b.open('esc/new', O({ write: true, create: true })), errno(Errno.PERM), mode);
    assert.equal(fs.readdirSync('/proc/self/fd').length, fdsBefore, 'fd closed again');
    fs.unlinkSync(host('esc'));
    fs.rmSync(path.join(outside, 'new'), { force: true });
    // Symlinked intermediates (which the resolver never passes) pass the /proc check when they stay
    // inside; the lstat walk is stricter and refuses any symlinked intermediate.
    if (mode === 'walk') assert.throws(() => b.open('ld/x', O()), errno(Errno.PERM));
    else {
      const h = b.open('ld/x', O());
      assert.equal(readAll(b, h), 'x');
      b.close(h);
    }
  }
});

test('mutations whose parent was swapped for a symlink to outside are refused (EPERM)', () => {
  fs.symlinkSync(outside, host('esc2'));
  try {
    assert.throws(() => be.mkdir('esc2/newdir'), errno(Errno.PERM));
    assert.throws(() => be.unlink('esc2/secret.txt'), errno(Errno.PERM));
    assert.throws(() => be.rename('esc2/secret.txt', 'stolen'), errno(Errno.PERM));
    assert.throws(() => be.rename('f', 'esc2/f'), errno(Errno.PERM));
    assert.throws(() => be.link('esc2/secret.txt', 'stolen'), errno(Errno.PERM));
    assert.throws(() => be.symlink('x', 'esc2/l'), errno(Errno.PERM));
    assert.throws(() => be.utimes('esc2/secret.txt', 'now', 'now'), errno(Errno.PERM));
    assert.throws(() => be.rmdir('esc2/x'), errno(Errno.PERM));
    assert.deepEqual(fs.readdirSync(outside), ['secret.txt']);
    assert.ok(!fs.existsSync(host('stolen')));
  } finally {
    fs.unlinkSync(host('esc2'));
  }
});

test('handles are process-wide: a worker rebuilt from describe() reads a handle opened here', async () => {
  const h = be.open('f', O());
  const url = new URL('../dist/host/node/hostfs.js', import.meta.url).href;
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(({ HostFsBackend }) => {
      const b = new HostFsBackend(workerData.desc);
      const buf = new Uint8Array(5);
      const n = b.pread(workerData.h, buf, 6);
      const d = b.open('d', { read: true, write: false, create: false, exclusive: false, truncate: false, directory: true, append: false });
      parentPort.postMessage({ n, s: Buffer.from(buf).toString(), d });
    });`;
  // trackUnmanagedFds must be false (Node's default, true, closes fds a worker opened when it exits).
  const w = new Worker(code, { eval: true, trackUnmanagedFds: false, workerData: { url, desc: be.describe(), h } });
  const msg = await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
  assert.deepEqual([msg.n, msg.s], [5, 'world']);
  // ... and a directory handle opened in the worker can be listed here (via /proc).
  await w.terminate();
  assert.equal(be.fstat(msg.d).filetype, Filetype.DIRECTORY); // still open after the worker is gone
  assert.deepEqual(be.readdir(msg.d).map((e) => e.name), ['sub', 'x']);
  be.close(msg.d);
  be.close(h);
});

test('Node closes fds opened by a worker with default options when it exits (why trackUnmanagedFds: false)', async () => {
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    parentPort.postMessage(require('node:fs').openSync(workerData.p, 'r'));`;
  const w = new Worker(code, { eval: true, workerData: { p: host('f') } });
  const fd = await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
  await new Promise((res) => w.once('exit', res));
  assert.throws(() => be.fstat(fd), errno(Errno.BADF));
});
