// Sandboxed path resolution (src/fs/resolve.ts) against the host backend and a fake in-test backend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolve, decodeGuestPath, MAX_SYMLINK_EXPANSIONS } from '../dist/fs/resolve.js';
import { HostFsBackend } from '../dist/host/node/hostfs.js';
import { Errno, WasiError } from '../dist/abi/errno.js';
import { Filetype } from '../dist/abi/constants.js';

let tmp, root, outside, be;

const errno = (n) => (e) => {
  assert.ok(e instanceof WasiError, `expected WasiError, got ${e}`);
  assert.equal(e.errno, n, `expected errno ${n}, got ${e.errno} (${e.message})`);
  return true;
};
const R = (p, follow = true, base = '', opts) => resolve(be, base, p, follow, opts).path;
const resolvePath = (backend, base, p, follow) => resolve(backend, base, p, follow).path;
const RO = { read: true, write: false, create: false, exclusive: false, truncate: false, directory: false, append: false };

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-resolve-'));
  root = path.join(tmp, 'root');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'SECRET');
  fs.mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  fs.mkdirSync(path.join(root, 'd'));
  fs.writeFileSync(path.join(root, 'f'), 'hello');
  fs.writeFileSync(path.join(root, 'a', 'b', 'file.txt'), 'deep');
  const ln = (target, name) => fs.symlinkSync(target, path.join(root, name));
  ln('/etc', 'l_etc');
  ln('../..', 'l_up');
  ln('..', 'l_parent');
  ln('../outside', 'l_outside');
  ln('..', 'a/l_root');
  ln('chain2', 'chain1');
  ln('chain3', 'chain2');
  ln('d', 'chain3');
  ln('loop2', 'loop1');
  ln('loop1', 'loop2');
  ln('self', 'self');
  ln('nothere', 'dangling');
  ln('a/b', 'inside');
  ln('f', 'f_link');
  ln('f/', 'f_slash');
  ln('d/', 'd_slash');
  ln('a/../d', 'dotted');
  ln('b/../../../outside', 'a/sneaky');
  // A chain of exactly MAX_SYMLINK_EXPANSIONS links ending at d, and one longer.
  for (let i = 0; i < MAX_SYMLINK_EXPANSIONS; i++) ln(i === MAX_SYMLINK_EXPANSIONS - 1 ? 'd' : `c${i + 1}`, `c${i}`);
  ln('c0', 'c_over');
  be = new HostFsBackend({ kind: 'host', root, readOnly: false });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('plain paths, dots and slashes', () => {
  assert.equal(R('f'), 'f');
  assert.equal(R('a/b/file.txt'), 'a/b/file.txt');
  assert.equal(R('.'), '');
  assert.equal(R('./'), '');
  assert.equal(R('a/.'), 'a');
  assert.equal(R('a/..'), '');
  assert.equal(R('.//a//b/'), 'a/b');
  assert.equal(R('a/./b/../b/./file.txt'), 'a/b/file.txt');
  assert.equal(R('b', true, 'a'), 'a/b');
  assert.equal(R('b/file.txt', false, 'a'), 'a/b/file.txt');
  const r = resolve(be, '', 'a/..', true);
  assert.equal(r.endsInDot, true);
  assert.equal(r.stat.filetype, Filetype.DIRECTORY);
  assert.equal(resolve(be, '', 'f', true).stat.filetype, Filetype.REGULAR_FILE);
});

test('empty path => ENOENT, NUL => EINVAL', () => {
  assert.throws(() => R(''), errno(Errno.NOENT));
  assert.throws(() => R('f\0'), errno(Errno.INVAL));
});

test("escapes with '..' => EPERM (Wasmtime)", () => {
  assert.throws(() => R('..'), errno(Errno.PERM));
  assert.throws(() => R('../root/f'), errno(Errno.PERM));
  assert.throws(() => R('a/../../x'), errno(Errno.PERM));
  assert.throws(() => R('a/b/../../../outside/secret.txt'), errno(Errno.PERM));
  assert.throws(() => R('..', false), errno(Errno.PERM));
});

test('absolute guest paths => EPERM', () => {
  assert.throws(() => R('/etc/passwd'), errno(Errno.PERM));
  assert.throws(() => R('/'), errno(Errno.PERM));
  assert.throws(() => R('/f', false), errno(Errno.PERM));
});

test('the boundary is the base directory: climbing above it, even inside the preopen, is an escape', () => {
  assert.throws(() => R('..', true, 'a'), errno(Errno.PERM));
  assert.throws(() => R('../f', true, 'a/b'), errno(Errno.PERM));
  assert.equal(R('b/..', true, 'a'), 'a');
  // A symlink under base climbing out of base (but inside the preopen) is an escape too.
  assert.throws(() => R('l_root/f', true, 'a'), errno(Errno.PERM));
});

test('symlinks to absolute targets or above the root => EPERM', () => {
  assert.throws(() => R('l_etc'), errno(Errno.PERM));
  assert.throws(() => R('l_etc/passwd'), errno(Errno.PERM));
  assert.throws(() => R('l_etc/passwd', false), errno(Errno.PERM)); // intermediate: always followed
  assert.throws(() => R('l_up'), errno(Errno.PERM));
  assert.throws(() => R('l_up/tmp'), errno(Errno.PERM));
  assert.throws(() => R('l_parent/outside/secret.txt'), errno(Errno.PERM));
  assert.throws(() => R('l_outside/secret.txt'), errno(Errno.PERM));
  assert.throws(() => R('a/sneaky'), errno(Errno.PERM));
  // Not following the final component returns the link itself.
  assert.equal(R('l_etc', false), 'l_etc');
  assert.equal(resolve(be, '', 'l_up', false).stat.filetype, Filetype.SYMBOLIC_LINK);
});

test('symlinks to inside locations are allowed', () => {
  assert.equal(R('inside'), 'a/b');
  assert.equal(R('inside/file.txt'), 'a/b/file.txt');
  assert.equal(R('inside/../..'), '');
  assert.equal(R('a/l_root/f'), 'f');
  assert.equal(R('a/l_root'), '');
  assert.equal(R('dotted'), 'd');
  assert.equal(R('f_link'), 'f');
  assert.equal(R('f_link', false), 'f_link');
});

test('chains are followed; loops and too many expansions => ELOOP', () => {
  assert.equal(R('chain1'), 'd');
  assert.equal(R('chain1/new'), 'd/new');
  assert.equal(R('chain1', false), 'chain1');
  assert.throws(() => R('loop1'), errno(Errno.LOOP));
  assert.throws(() => R('loop1/x', false), errno(Errno.LOOP));
  assert.throws(() => R('self'), errno(Errno.LOOP));
  assert.equal(R('loop1', false), 'loop1');
  assert.equal(R('c0'), 'd'); // exactly 40 expansions
  assert.throws(() => R('c_over'), errno(Errno.LOOP)); // 41
});

test('dangling symlinks', () => {
  const f = resolve(be, '', 'dangling', true);
  assert.equal(f.path, 'nothere');
  assert.equal(f.stat, null);
  const n = resolve(be, '', 'dangling', false);
  assert.equal(n.path, 'dangling');
  assert.equal(n.stat.filetype, Filetype.SYMBOLIC_LINK);
  assert.throws(() => R('dangling/x'), errno(Errno.NOENT));
});

test('missing components', () => {
  const r = resolve(be, '', 'a/new', true);
  assert.deepEqual([r.path, r.stat], ['a/new', null]);
  assert.throws(() => R('missing/x'), errno(Errno.NOENT));
  assert.throws(() => R('f/x'), errno(Errno.NOTDIR));
  assert.throws(() => R('f_link/x'), errno(Errno.NOTDIR));
});

test('trailing slashes', () => {
  assert.throws(() => R('f/'), errno(Errno.NOTDIR));
  assert.throws(() => R('f///', false), errno(Errno.NOTDIR));
  assert.throws(() => R('f_link/', false), errno(Errno.NOTDIR)); // slash forces following
  assert.throws(() => R('f_slash'), errno(Errno.NOTDIR)); // slash inside the link target
  assert.equal(R('d/'), 'd');
  assert.equal(R('d_slash'), 'd');
  assert.equal(R('chain1/', false), 'd');
  const m = resolve(be, '', 'newdir/', false);
  assert.deepEqual([m.path, m.stat, m.trailingSlash], ['newdir', null, true]);
  assert.equal(resolve(be, '', 'd', false).trailingSlash, false);
});

test('a directory swapped for a symlink to outside between resolve and open is caught', () => {
  for (const mode of ['auto', 'walk']) {
    fs.mkdirSync(path.join(root, 'sw'));
    fs.writeFileSync(path.join(root, 'sw', 'secret.txt'), 'inside');
    const p = resolvePath(be, '', 'sw/secret.txt', true);
    assert.equal(p, 'sw/secret.txt');
    // The attacker swaps 'sw' for a symlink to the outside directory.
    fs.renameSync(path.join(root, 'sw'), path.join(root, 'sw-old'));
    fs.symlinkSync(outside, path.join(root, 'sw'));
    const b = new HostFsBackend({ kind: 'host', root, readOnly: false });
    b.fdCheck = mode;
    assert.throws(() => b.open(p, RO), errno(Errno.PERM), mode);
    // Resolving again now sees the symlink.
    assert.throws(() => R('sw/secret.txt'), errno(Errno.PERM));
    fs.unlinkSync(path.join(root, 'sw'));
    fs.rmSync(path.join(root, 'sw-old'), { recursive: true });
  }
});

test('hard links can only target inside files', () => {
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'to_secret'));
  try {
    // Following the source is refused; not following links to the symlink itself.
    assert.throws(() => R('to_secret', true), errno(Errno.PERM));
    const from = R('to_secret', false);
    be.link(from, R('hl', false));
    assert.equal(be.lstat('hl').filetype, Filetype.SYMBOLIC_LINK);
    assert.throws(() => R('hl', true), errno(Errno.PERM));
    assert.throws(() => be.open('hl', RO), errno(Errno.LOOP));
    // A link destination outside is refused by the resolver.
    assert.throws(() => R('../outside/hl', false), errno(Errno.PERM));
    assert.throws(() => R('l_outside/hl', false), errno(Errno.PERM));
    be.unlink('hl');
  } finally {
    fs.unlinkSync(path.join(root, 'to_secret'));
  }
});

test('resolver is backend-agnostic (fake backend with lstat/readlink only)', () => {
  const DIR = Filetype.DIRECTORY, FILE = Filetype.REGULAR_FILE, LINK = Filetype.SYMBOLIC_LINK;
  const tree = new Map([
    ['', { t: DIR }], ['x', { t: DIR }], ['x/y', { t: FILE }], ['up', { t: LINK, to: '../..' }],
    ['lx', { t: LINK, to: 'x/' }], ['abs', { t: LINK, to: '/x' }], ['x/back', { t: LINK, to: '../lx/y' }],
    ['empty', { t: LINK, to: '' }], // Linux cannot create these, other backends might
  ]);
  const calls = [];
  const fake = {
    lstat(p) {
      calls.push(p);
      const n = tree.get(p);
      if (!n) throw new WasiError(Errno.NOENT);
      return { dev: 1n, ino: 1n, filetype: n.t, nlink: 1n, size: 0n, atimNs: 0n, mtimNs: 0n, ctimNs: 0n };
    },
    readlink(p) {
      const n = tree.get(p);
      if (!n) throw new WasiError(Errno.NOENT);
      if (n.t !== LINK) throw new WasiError(Errno.INVAL);
      return n.to;
    },
  };
  assert.equal(resolvePath(fake, '', 'x/y', true), 'x/y');
  assert.equal(resolvePath(fake, '', 'lx/y', true), 'x/y');
  assert.equal(resolvePath(fake, '', 'x/back', true), 'x/y');
  assert.equal(resolvePath(fake, 'x', 'new', true), 'x/new');
  assert.throws(() => resolvePath(fake, '', 'up/z', true), errno(Errno.PERM));
  assert.throws(() => resolvePath(fake, '', 'abs', true), errno(Errno.PERM));
  assert.throws(() => resolvePath(fake, '', 'x/y/z', true), errno(Errno.NOTDIR));
  assert.throws(() => resolvePath(fake, '', 'empty', true), errno(Errno.NOENT));
  assert.equal(resolvePath(fake, '', 'empty', false), 'empty');
  assert.ok(calls.includes('x'));
  assert.ok(!calls.some((p) => p.includes('..') || p.startsWith('/')), 'backend only sees canonical paths');
});

test('decodeGuestPath', () => {
  const enc = new TextEncoder();
  assert.equal(decodeGuestPath(enc.encode('dir/fïle✓')), 'dir/fïle✓');
  assert.equal(decodeGuestPath(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), '\ufeffa'); // BOM kept
  assert.throws(() => decodeGuestPath(new Uint8Array([0x61, 0xff])), errno(Errno.ILSEQ));
  assert.throws(() => decodeGuestPath(new Uint8Array([0xc3])), errno(Errno.ILSEQ)); // truncated
  assert.throws(() => decodeGuestPath(new Uint8Array([0xed, 0xa0, 0x80])), errno(Errno.ILSEQ)); // surrogate
  assert.throws(() => decodeGuestPath(enc.encode('file\0')), errno(Errno.INVAL));
  assert.throws(() => decodeGuestPath(new Uint8Array([0x00, 0xff])), errno(Errno.ILSEQ)); // UTF-8 first
  const shared = new Uint8Array(new SharedArrayBuffer(16), 4, 3);
  shared.set(enc.encode('abc'));
  assert.equal(decodeGuestPath(shared), 'abc');
});

test('rootMount: absolute paths and absolute symlink targets resolve from the root and never climb above it', () => {
  const M = { rootMount: true };
  assert.equal(R('/a/b/file.txt', true, '', M), 'a/b/file.txt');
  assert.equal(R('/a/b/file.txt', true, 'd', M), 'a/b/file.txt'); // absolute: from the root, whatever the base
  assert.equal(R('/', true, 'a', M), '');
  assert.equal(R('/../../..', true, '', M), ''); // '/..' is '/'
  assert.equal(R('/../a/../../f', true, '', M), 'f');
  assert.equal(R('l_etc', false, '', M), 'l_etc'); // not followed: the link itself
  assert.throws(() => R('l_etc/passwd', true, '', M), errno(Errno.NOENT)); // '/etc' inside the root: absent
  assert.throws(() => R('l_outside/secret.txt', true, '', M), errno(Errno.PERM)); // relative escape: still refused
  assert.throws(() => R('../f', true, 'a', M), errno(Errno.PERM)); // relative '..' above the base: still refused
  // without rootMount nothing changed
  assert.throws(() => R('/a', true, '', {}), errno(Errno.PERM));
  assert.throws(() => R('l_etc/passwd'), errno(Errno.PERM));
});
