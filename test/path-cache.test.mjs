// The verified-directory cache of host backends (hostfs-guard.ts DirCache, issue 19): a deep path costs one
// lstat of its directory instead of one per component, and no swap of a cached directory (for a symlink, by
// rename, by rmdir; by the guest or by a host process) makes a path name anything the walk would not.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostFsBackend } from '../dist/host/node/hostfs.js';
import { resolve } from '../dist/fs/resolve.js';
import { WasiError } from '../dist/abi/errno.js';
import { wasiOnePage } from './helpers/wasi-page.mjs';

const E = { SUCCESS: 0, INVAL: 28, NOENT: 44, PERM: 63 };
const R_ALL = 0x1fffffffn;
const DEEP = 'p/q/r/s/t/u';

let tmp, root, outside;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pathcache-'));
  root = fs.realpathSync(tmp) + '/root';
  outside = fs.realpathSync(tmp) + '/outside';
  fs.mkdirSync(path.join(root, DEEP), { recursive: true });
  fs.writeFileSync(path.join(root, DEEP, 'file'), 'inside');
  fs.symlinkSync('file', path.join(root, DEEP, 'link'));
  // outside: the same names, other contents
  fs.mkdirSync(path.join(outside, DEEP), { recursive: true });
  fs.writeFileSync(path.join(outside, DEEP, 'file'), 'SECRET');
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const errno = (n) => (e) => {
  assert.ok(e instanceof WasiError, `expected WasiError, got ${e}`);
  assert.equal(e.errno, n, `expected errno ${n}, got ${e.errno} (${e.message})`);
  return true;
};
const O = { read: true, write: false, create: false, exclusive: false, truncate: false, directory: false, append: false };

/**
 * Runs `fn` counting node:fs lstat and readlink calls, the host lookups (the backend gets node:fs through
 * process.getBuiltinModule: the same object).
 */
function countLstats(fn) {
  const real = fs.lstatSync, realReadlink = fs.readlinkSync;
  let n = 0;
  fs.lstatSync = (...a) => {
    n++;
    return real(...a);
  };
  fs.readlinkSync = (...a) => {
    n++;
    return realReadlink(...a);
  };
  try {
    fn();
  } finally {
    fs.lstatSync = real;
    fs.readlinkSync = realReadlink;
  }
  return n;
}

test('a deep path is looked up with two host calls once its directory was walked', () => {
  const be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  let first, again;
  assert.equal(countLstats(() => (first = resolve(be, '', `${DEEP}/file`, true))), 7, 'the first lookup walks every component');
  assert.equal(first.stat?.size, 6n);
  // the second proves the directory once through an fd (its /proc/self/fd name), then looks up the name
  assert.equal(countLstats(() => resolve(be, '', `${DEEP}/file`, true)), 2);
  assert.equal(countLstats(() => (again = resolve(be, '', `${DEEP}/file`, true))), 2, 'then one check of the held directory fd, one lstat of the name');
  assert.equal(again.path, `${DEEP}/file`);
  assert.equal(again.stat?.ino, first.stat?.ino);
  // a missing name below a cached directory: stat null (the caller may create it), no exception
  assert.equal(countLstats(() => assert.equal(resolve(be, '', `${DEEP}/new`, false).stat, null)), 2);
  // another backend sharing the generation (another thread) has its own cache: it walks once too
  const other = new HostFsBackend(be.describe());
  assert.equal(countLstats(() => resolve(other, '', `${DEEP}/file`, true)), 7);
  assert.equal(countLstats(() => resolve(other, '', `${DEEP}/file`, true)), 2);
  assert.equal(countLstats(() => resolve(other, '', `${DEEP}/file`, true)), 2);
  // a guest namespace change (here a symlink made elsewhere) empties both: walked again
  be.symlink('x', 'unrelated-link');
  assert.equal(countLstats(() => resolve(other, '', `${DEEP}/file`, true)), 7);
  // without /proc checks ('walk' mode) nothing is cached: every lookup walks
  const walk = new HostFsBackend({ kind: 'host', root, readOnly: false });
  walk.fdCheck = 'walk';
  for (let i = 0; i < 3; i++) assert.equal(countLstats(() => resolve(walk, '', `${DEEP}/file`, true)), 7);
  // '..' in the path: walked as before (the cache is only for plain paths)
  assert.equal(resolve(be, '', `${DEEP}/../u/file`, true).path, `${DEEP}/file`);
});

test('a cached directory swapped by a host process for a symlink to outside: lookups refuse it, opens do not escape', () => {
  const be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  assert.equal(resolve(be, '', `${DEEP}/file`, true).stat?.size, 6n);
  // the deepest directory itself, then (after re-walking) an intermediate one
  fs.renameSync(path.join(root, DEEP), path.join(root, 'moved'));
  fs.symlinkSync(path.join(outside, DEEP), path.join(root, DEEP));
  assert.throws(() => resolve(be, '', `${DEEP}/file`, true), errno(E.PERM));
  fs.rmSync(path.join(root, DEEP));
  fs.renameSync(path.join(root, 'moved'), path.join(root, DEEP));
  assert.equal(resolve(be, '', `${DEEP}/file`, true).stat?.size, 6n);
  fs.renameSync(path.join(root, 'p/q'), path.join(root, 'q-moved'));
  fs.symlinkSync('../../outside/p/q', path.join(root, 'p/q')); // relative, leaving the root
  assert.throws(() => resolve(be, '', `${DEEP}/file`, true), errno(E.PERM));
  assert.throws(() => be.open(`${DEEP}/file`, O), errno(E.PERM), 'the host path now leads outside');
  assert.throws(() => be.mkdir(`${DEEP}/made`), errno(E.PERM));
  assert.ok(!fs.existsSync(path.join(outside, DEEP, 'made')));
});

test('a cached directory tree moved outside by a host process and linked back: opens and mutations still refused', () => {
  const be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  assert.equal(resolve(be, '', `${DEEP}/file`, true).stat?.size, 6n);
  fs.rmSync(path.join(outside, 'p'), { recursive: true });
  fs.renameSync(path.join(root, 'p'), path.join(outside, 'p'));
  fs.symlinkSync(path.join(outside, 'p'), path.join(root, 'p'));
  // The directory's identity is unchanged, so the cache may vouch for it (see DirCache): the fd checks hold.
  assert.throws(() => be.open(`${DEEP}/file`, O), errno(E.PERM));
  assert.throws(() => be.mkdir(`${DEEP}/made`), errno(E.PERM));
  assert.throws(() => be.unlink(`${DEEP}/file`), errno(E.PERM));
  assert.ok(fs.existsSync(path.join(outside, DEEP, 'file')));
  assert.ok(!fs.existsSync(path.join(outside, DEEP, 'made')));
});

test('a cached directory renamed or removed: the old path fails with ENOENT; a new directory there is the one used', () => {
  const be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  resolve(be, '', `${DEEP}/file`, true);
  fs.renameSync(path.join(root, 'p/q/r'), path.join(root, 'p/q/r2')); // by a host process
  assert.throws(() => resolve(be, '', `${DEEP}/file`, true), errno(E.NOENT));
  assert.throws(() => be.open(`${DEEP}/file`, O), errno(E.NOENT));
  fs.renameSync(path.join(root, 'p/q/r2'), path.join(root, 'p/q/r'));
  resolve(be, '', `${DEEP}/file`, true);
  be.rename('p/q', 'p/q2'); // by the guest
  assert.throws(() => resolve(be, '', `${DEEP}/file`, true), errno(E.NOENT));
  // a different directory made at the old place: its contents, not the old one's
  fs.mkdirSync(path.join(root, DEEP), { recursive: true });
  fs.writeFileSync(path.join(root, DEEP, 'file'), 'new!!!!');
  assert.equal(resolve(be, '', `${DEEP}/file`, true).stat?.size, 7n);
  fs.rmSync(path.join(root, DEEP), { recursive: true });
  assert.throws(() => resolve(be, '', `${DEEP}/file`, true), errno(E.NOENT));
});

test('a guest swap (rename + absolute symlink) empties every thread\'s cache: the symlink is seen, not followed', () => {
  const a = new HostFsBackend({ kind: 'host', root, readOnly: false });
  const b = new HostFsBackend(a.describe()); // another thread's copy: shares the generation
  assert.equal(resolve(a, '', `${DEEP}/file`, true).stat?.size, 6n);
  assert.equal(resolve(b, '', `${DEEP}/file`, true).stat?.size, 6n);
  // The directory keeps its identity behind an absolute symlink, which the resolver refuses without a
  // root mount: only the generation tells the caches that the path now goes through a symlink.
  b.rename('p', 'p-real');
  b.symlink(path.join(root, 'p-real'), 'p');
  for (const be of [a, b]) assert.throws(() => resolve(be, '', `${DEEP}/file`, true), errno(E.PERM));
  // the same with a link created in another thread's backend than the one that looks up
  const c = new HostFsBackend(a.describe());
  fs.rmSync(path.join(root, 'p'));
  fs.renameSync(path.join(root, 'p-real'), path.join(root, 'p'));
  assert.equal(resolve(a, '', `${DEEP}/file`, true).stat?.size, 6n);
  c.rename('p', 'p-real');
  c.symlink(path.join(root, 'p-real'), 'p');
  assert.throws(() => resolve(a, '', `${DEEP}/file`, true), errno(E.PERM));
});

test('guest calls: readlink of a non-link is EINVAL, of a missing path ENOENT; a swapped deep directory never escapes', async () => {
  const { w, u8, dv, put } = await wasiOnePage(root);
  const readlink = (p) => {
    const n = put(100, p);
    const r = w.path_readlink(3, 100, n, 1000, 64, 200);
    return r === E.SUCCESS ? Buffer.from(u8.subarray(1000, 1000 + dv.getUint32(200, true))).toString() : r;
  };
  const stat = (p) => w.path_filestat_get(3, 1, 100, put(100, p), 300) || dv.getBigUint64(300 + 32, true);
  const open = (p) => {
    const r = w.path_open(3, 1, 100, put(100, p), 0, R_ALL, R_ALL, 0, 200);
    if (r !== E.SUCCESS) return r;
    const fd = dv.getUint32(200, true);
    const iov = 400;
    dv.setUint32(iov, 1000, true);
    dv.setUint32(iov + 4, 64, true);
    assert.equal(w.fd_read(fd, iov, 1, 208), E.SUCCESS);
    assert.equal(w.fd_close(fd), E.SUCCESS);
    return Buffer.from(u8.subarray(1000, 1000 + dv.getUint32(208, true))).toString();
  };
  for (let i = 0; i < 2; i++) {
    // twice: walked, then through the cache
    assert.equal(readlink(`${DEEP}/link`), 'file');
    assert.equal(readlink(`${DEEP}/file`), E.INVAL);
    assert.equal(readlink(`${DEEP}/nope`), E.NOENT);
    assert.equal(readlink(`${DEEP}`), E.INVAL);
    assert.equal(stat(`${DEEP}/file`), 6n);
    assert.equal(open(`${DEEP}/link`), 'inside');
  }
  // a host process swaps the cached directory for a symlink to its twin outside
  fs.renameSync(path.join(root, DEEP), path.join(root, 'moved'));
  fs.symlinkSync(path.join(outside, DEEP), path.join(root, DEEP));
  assert.equal(stat(`${DEEP}/file`), E.PERM);
  assert.equal(open(`${DEEP}/file`), E.PERM);
  assert.equal(readlink(`${DEEP}/link`), E.PERM);
  // the guest swaps it back through its own calls (rename + relative symlink leaving the root)
  fs.rmSync(path.join(root, DEEP));
  fs.renameSync(path.join(root, 'moved'), path.join(root, DEEP));
  assert.equal(open(`${DEEP}/file`), 'inside');
  const src = put(100, 'p/q'), dst = put(150, 'q-away');
  assert.equal(w.path_rename(3, 100, src, 3, 150, dst), E.SUCCESS);
  const tgt = put(500, '../../outside/p/q');
  assert.equal(w.path_symlink(500, tgt, 3, 100, src), E.SUCCESS);
  assert.equal(stat(`${DEEP}/file`), E.PERM);
  assert.equal(open(`${DEEP}/file`), E.PERM);
  assert.equal(readlink(`${DEEP}/nope`), E.PERM);
});

test('the fast path resolves every path form exactly as the walk does (trailing slashes, dots, base dirs, root mounts)', () => {
  fs.symlinkSync('../t', path.join(root, 'p/q/r/s/rel-up'));
  fs.symlinkSync('/p/q', path.join(root, 'p/abs'));
  fs.writeFileSync(path.join(root, 'p/q/plain'), '');
  const paths = [
    `${DEEP}/file`, `${DEEP}/file/`, `${DEEP}/`, `${DEEP}//file`, `${DEEP}/./file`, `${DEEP}/../u/file`, `${DEEP}/link`,
    `${DEEP}/link/`, `${DEEP}/nope`, `${DEEP}/nope/`, `${DEEP}/nope/deeper`, 'p/q/r/s/rel-up/u/file', 'p/abs/r', 'p/abs/r/s',
    'p/q/plain/x', 'p/q/plain/', 'p//q/r', '/p/q/r/s', '//p/q/r', '/p/q/../q/r/s/t', 'p/q/r/s/t/u/..', 'p/q/r/s/t/u/.', 'r/s/t', 'r/s/../../..',
    'q/r/s/t/u/file', 's/t/u/link', 'x/y',
  ];
  const outcome = (be, base, p, follow, rootMount) => {
    try {
      const r = resolve(be, base, p, follow, { rootMount });
      return { path: r.path, ino: r.stat?.ino ?? null, type: r.stat?.filetype ?? null, trailingSlash: r.trailingSlash, endsInDot: r.endsInDot };
    } catch (e) {
      if (!(e instanceof WasiError)) throw e;
      return { errno: e.errno };
    }
  };
  for (const rootMount of [false, true]) {
    for (const base of ['', 'p', 'p/q']) {
      for (const follow of [true, false]) {
        const warm = new HostFsBackend({ kind: 'host', root, readOnly: false });
        for (const p of paths) outcome(warm, base, p, follow, rootMount); // walk once: every directory remembered
        for (const p of paths) {
          const cold = new HostFsBackend({ kind: 'host', root, readOnly: false });
          assert.deepEqual(outcome(warm, base, p, follow, rootMount), outcome(cold, base, p, follow, rootMount),
            `${JSON.stringify(p)} from ${JSON.stringify(base)} (follow ${follow}, rootMount ${rootMount})`);
        }
      }
    }
  }
});

test('a directory recorded while a host swap redirected the walk (a won race) is never trusted: proven through its fd first', () => {
  const be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  fs.renameSync(path.join(root, 'p'), path.join(root, 'p-away'));
  fs.symlinkSync(path.join(outside, 'p'), path.join(root, 'p'));
  // What a walk that lost a race to the swap would do: lstat the deeper prefixes through the new symlink
  // (the backend records the directories it finds there as candidates).
  for (const d of ['p/q', 'p/q/r', 'p/q/r/s', 'p/q/r/s/t', DEEP]) assert.equal(be.lstat(d).filetype, 3);
  for (let i = 0; i < 3; i++) {
    assert.throws(() => resolve(be, '', `${DEEP}/file`, true), errno(E.PERM), 'the walk sees the symlink');
    assert.throws(() => resolve(be, '', `${DEEP}/new`, false), errno(E.PERM));
  }
});

/** Open fds of this process (every Worker's included). */
const openFds = () => fs.readdirSync('/proc/self/fd').length;
const O_W = { ...O, read: false, write: true, create: true, truncate: true };

test('held directory fds: bounded, used for opens and mutations, all closed by release()', { skip: !fs.existsSync('/proc/self/fd') }, () => {
  const base = openFds();
  const be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  for (let i = 0; i < 3; i++) resolve(be, '', `${DEEP}/file`, true);
  assert.equal(openFds(), base + 1, 'the proven directory is held');
  // an open below it, checked by this lookup: no readlink of the new fd (the held parent proves it), and
  // no open of the parent; a create and a mkdir likewise act through the held fd
  const calls = { readlink: 0, open: 0 };
  const real = { readlink: fs.readlinkSync, open: fs.openSync };
  fs.readlinkSync = (...a) => (calls.readlink++, real.readlink(...a));
  fs.openSync = (...a) => (calls.open++, real.open(...a));
  let fd, fd2;
  try {
    // a lookup for use checks the held fd's name (no lstat), which the open then takes
    assert.equal(countLstats(() => resolve(be, '', `${DEEP}/file`, true, { forUse: true })), 2);
    fd = be.open(`${DEEP}/file`, O);
    resolve(be, '', `${DEEP}/made`, false, { forUse: true });
    be.mkdir(`${DEEP}/made`);
    resolve(be, '', 'top', false, { forUse: true });
    fd2 = be.open('top', O_W); // the root's fd (opened and proven once here)
  } finally {
    fs.readlinkSync = real.readlink;
    fs.openSync = real.open;
  }
  assert.deepEqual(calls, { readlink: 3, open: 3 }, 'one check per lookup of the held directory, the root proven once; no parent opens');
  // a lookup alone checks the directory by lstat; an open after it checks the held fd's name itself
  calls.readlink = 0;
  fs.readlinkSync = (...a) => (calls.readlink++, real.readlink(...a));
  try {
    resolve(be, '', `${DEEP}/file`, true);
    be.close(be.open(`${DEEP}/file`, O));
  } finally {
    fs.readlinkSync = real.readlink;
  }
  assert.equal(calls.readlink, 1);
  assert.equal(fs.readFileSync(`/proc/self/fd/${fd}`, 'utf8'), 'inside');
  assert.ok(fs.statSync(path.join(root, DEEP, 'made')).isDirectory());
  be.close(fd);
  be.close(fd2);
  assert.ok(fs.existsSync(path.join(root, 'top')));
  assert.equal(openFds(), base + 2, 'the root and the directory');
  // many directories: at most 16 held (the least recently used closed), every one still answered
  for (let i = 0; i < 40; i++) fs.mkdirSync(path.join(root, `p/d${i}`));
  for (let r = 0; r < 3; r++) for (let i = 0; i < 40; i++) assert.equal(resolve(be, '', `p/d${i}/x`, false).stat, null);
  assert.ok(openFds() <= base + 17, `${openFds() - base} held`);
  // a guest namespace change closes them all (the cache starts over)
  be.symlink('x', 'unrelated-link');
  resolve(be, '', `${DEEP}/file`, true);
  assert.equal(openFds(), base + 1, 'only the root is left');
  for (let i = 0; i < 3; i++) resolve(be, '', `${DEEP}/file`, true);
  be.release();
  assert.equal(openFds(), base, 'release() closes every held fd');
  // and the backend still works afterwards (it holds again)
  for (let i = 0; i < 3; i++) assert.equal(resolve(be, '', `${DEEP}/file`, true).stat?.size, 6n);
  be.release();
  assert.equal(openFds(), base);
});

test('a directory whose held fd was let go is held again when opens use it twice in a row, never for one use', { skip: !fs.existsSync('/proc/self/fd') }, () => {
  const be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  const open = (dir) => {
    resolve(be, '', `p/${dir}/f`, true, { forUse: true });
    be.close(be.open(`p/${dir}/f`, O));
  };
  for (let i = 0; i < 20; i++) {
    fs.mkdirSync(path.join(root, `p/d${i}`));
    fs.writeFileSync(path.join(root, `p/d${i}/f`), `${i}`);
  }
  // each directory walked, proven and held in turn: 16 held, d0..d3 let go
  for (let i = 0; i < 20; i++) for (let k = 0; k < 3; k++) open(`d${i}`);
  const base = openFds();
  // a round robin over let-go directories: one use each, nothing held again (no fd opened and kept)
  const real = fs.openSync;
  let opens = 0;
  fs.openSync = (...a) => (opens++, real(...a));
  try {
    for (let r = 0; r < 2; r++) for (let i = 0; i < 4; i++) open(`d${i}`);
  } finally {
    fs.openSync = real;
  }
  assert.equal(opens, 8, 'only the files were opened');
  assert.equal(openFds(), base);
  // an unheld directory: a lookup for use is an lstat of it, and the open is checked after (3 lookups)
  assert.equal(countLstats(() => open('d0')), 3);
  // used again at once: held again (its fd opened and proven), then opens act through it
  open('d0');
  assert.equal(openFds(), base, 'held again, and the least recently used one let go');
  assert.equal(countLstats(() => open('d0')), 2, "the held fd's name checked, the file looked up, no check after the open");
  assert.equal(fs.readFileSync(path.join(root, 'p/d0/f'), 'utf8'), '0');
  be.release();
});

test('a held directory moved outside by a host process and linked back: refused, nothing reached outside', { skip: !fs.existsSync('/proc/self/fd') }, () => {
  const be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  for (let i = 0; i < 3; i++) resolve(be, '', `${DEEP}/file`, true); // proven, held
  fs.rmSync(path.join(outside, 'p'), { recursive: true });
  fs.renameSync(path.join(root, 'p'), path.join(outside, 'p'));
  fs.symlinkSync(path.join(outside, 'p'), path.join(root, 'p'));
  // for use, the held fd's name is checked: it names the moved directory outside, so the walk runs and
  // meets the absolute symlink. (A lookup alone may read the names' metadata: the leak the guard accepts.)
  assert.throws(() => resolve(be, '', `${DEEP}/file`, true, { forUse: true }), errno(E.PERM));
  assert.throws(() => resolve(be, '', `${DEEP}/file`, true), errno(E.PERM), 'forgotten: walked');
  // the same again with the directory held anew, calls made with no lookup before them
  fs.rmSync(path.join(root, 'p'));
  fs.renameSync(path.join(outside, 'p'), path.join(root, 'p'));
  for (let i = 0; i < 3; i++) resolve(be, '', `${DEEP}/file`, true);
  fs.renameSync(path.join(root, 'p'), path.join(outside, 'p'));
  fs.symlinkSync(path.join(outside, 'p'), path.join(root, 'p'));
  // direct calls, no lookup first: the held fd (if any) is checked again, else the old fd checks refuse
  assert.throws(() => be.open(`${DEEP}/file`, O), errno(E.PERM));
  assert.throws(() => be.open(`${DEEP}/new`, O_W), errno(E.PERM));
  assert.throws(() => be.mkdir(`${DEEP}/made`), errno(E.PERM));
  assert.throws(() => be.unlink(`${DEEP}/file`), errno(E.PERM));
  assert.ok(fs.existsSync(path.join(outside, DEEP, 'file')));
  assert.ok(!fs.existsSync(path.join(outside, DEEP, 'made')));
  assert.ok(!fs.existsSync(path.join(outside, DEEP, 'new')));
  be.release();
});

test('a held directory renamed inside the root by a host process: the old path is ENOENT, no call lands in it', { skip: !fs.existsSync('/proc/self/fd') }, () => {
  const be = new HostFsBackend({ kind: 'host', root, readOnly: false });
  for (let i = 0; i < 3; i++) resolve(be, '', `${DEEP}/file`, true);
  fs.renameSync(path.join(root, DEEP), path.join(root, 'elsewhere'));
  assert.throws(() => resolve(be, '', `${DEEP}/file`, true), errno(E.NOENT));
  assert.throws(() => be.mkdir(`${DEEP}/made`), errno(E.NOENT));
  assert.throws(() => be.open(`${DEEP}/new`, O_W), errno(E.NOENT));
  assert.ok(!fs.existsSync(path.join(root, 'elsewhere', 'made')));
  assert.ok(!fs.existsSync(path.join(root, 'elsewhere', 'new')));
  be.release();
});

// Threads that make path calls (each proves and holds a/b/c and the root), then return (arg 0) or spin in
// guest code until the process exits and their Worker is terminated (arg 1).
const THREAD_STATS = (n, spin) => `(module
  (import "foo" "bar" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $stat (param i32 i32 i32 i32 i32) (result i32)))
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (local $i i32)
    (loop $l
      (if (call $stat (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 7)
          (i32.add (i32.const 2000) (i32.shl (i32.and (local.get $tid) (i32.const 255)) (i32.const 6))))
        (then unreachable))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 4))))
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 4) (i32.const -1)))
    (if (local.get $arg) (then (loop $spin (br $spin)))))
  (func (export "_start")
    (local $i i32) (local $v i32)
    ${[...'a/b/c/f'].map((c, i) => `(i32.store8 (i32.const ${100 + i}) (i32.const ${c.charCodeAt(0)}))`).join(' ')}
    (loop $s
      (if (i32.le_s (call $spawn (i32.const ${spin ? 1 : 0})) (i32.const 0)) (then unreachable))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $s (i32.lt_u (local.get $i) (i32.const ${n}))))
    (loop $w
      (local.set $v (i32.atomic.load (i32.const 4)))
      (if (i32.lt_u (local.get $v) (i32.const ${n}))
        (then (drop (memory.atomic.wait32 (i32.const 4) (local.get $v) (i64.const -1))) (br $w))))
    (call $exit (i32.const 0))))`;

test('fds held by threads do not outlive them: many threads spawned and ended (returned or terminated mid-guest)', { skip: !fs.existsSync('/proc/self/fd') }, async () => {
  const { run } = await import('../dist/index.js');
  const { wat2wasm } = await import('./helpers/wat.mjs');
  fs.mkdirSync(path.join(root, 'a/b/c'), { recursive: true });
  fs.writeFileSync(path.join(root, 'a/b/c/f'), 'x');
  const progs = [await wat2wasm(THREAD_STATS(6, false), 'held-return'), await wat2wasm(THREAD_STATS(6, true), 'held-spin')];
  // Held directory fds: O_PATH fds of this process naming the root or a directory in it (the preopen's own
  // handles are not O_PATH; Node's own fds, e.g. of Workers ended while loading, are elsewhere).
  const O_PATH = 0o10000000;
  const held = () => fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target !== root && !target.startsWith(`${root}/`)) return false;
      const flags = /^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      return flags !== null && (parseInt(flags[1], 8) & O_PATH) !== 0;
    } catch {
      return false; // closed meanwhile
    }
  }).length;
  assert.equal(held(), 0);
  for (let round = 0; round < 8; round++) {
    const r = await run(progs[round % 2], { preopens: { '/sandbox': root } });
    assert.equal(r.exitCode, 0);
  }
  // 8 runs x 6 threads x 2 (the root, a/b/c) would be ~96 if they leaked
  assert.equal(held(), 0, 'held directory fds left open');
  // and the same backend code does hold them while a thread runs: a WASI class on this thread
  const { WASI } = await import('../dist/index.js');
  const wasi = new WASI({ version: 'preview1', args: ['p'], preopens: { '/sandbox': root } });
  const mem = new WebAssembly.Memory({ initial: 1 });
  wasi.initialize({ exports: { memory: mem } });
  new Uint8Array(mem.buffer).set(new TextEncoder().encode('a/b/c/f'), 100);
  for (let i = 0; i < 3; i++) assert.equal(wasi.wasiImport.path_filestat_get(3, 0, 100, 7, 200), 0);
  assert.equal(held(), 1, 'a/b/c held');
});
