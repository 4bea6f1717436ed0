// Exact preview1 semantics against a hostile environment (issue 9): ns timestamps read back exactly,
// APPEND turned off and on for an open file, no creation outside the preopen while a host process swaps a
// directory for a symlink, and fd_close during I/O in other threads never letting a write land elsewhere.
// The syscalls are driven from JS through the WASI class (the same kernel path as wasm calls), or by WAT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryFS } from '../dist/index.js';
import { wasiOnePage } from './helpers/wasi-page.mjs';

const R_ALL = 0x1fffffffn;
const O = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 };
const FDFLAG_APPEND = 1;
const FST = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 };
const SYMLINK_FOLLOW = 1;
const Filestat = { ino: 8, size: 32, atim: 40, mtim: 48 };

const backends = {
  host: () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-hard-'));
    return { preopen: dir, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
  },
  memfs: () => {
    const m = new MemoryFS({ '/d': null });
    return { preopen: m.dir('/d'), done: () => {} };
  },
};

/** A WASI instance over a 1-page memory; w = the import functions, helpers to place strings and read results. */
async function setup(preopen) {
  const { w, u8, dv } = await wasiOnePage(preopen);
  let at = 1024;
  const str = (s) => {
    const b = new TextEncoder().encode(s);
    u8.set(b, at);
    const r = [at, b.length];
    at += b.length + 8;
    if (at > 60000) at = 1024;
    return r;
  };
  const open = (p, oflags = 0, fdflags = 0, dirflags = 0) => {
    const [ptr, len] = str(p);
    const r = w.path_open(3, dirflags, ptr, len, oflags, R_ALL, R_ALL, fdflags, 100);
    return r === 0 ? dv.getUint32(100, true) : -r;
  };
  const write = (fd, s) => {
    const [ptr, len] = str(s);
    dv.setUint32(200, ptr, true);
    dv.setUint32(204, len, true);
    assert.equal(w.fd_write(fd, 200, 1, 208), 0);
    return dv.getUint32(208, true);
  };
  const read = (fd, n, pos) => {
    dv.setUint32(200, 30000, true);
    dv.setUint32(204, n, true);
    assert.equal(w.fd_pread(fd, 200, 1, BigInt(pos), 208), 0);
    return new TextDecoder().decode(u8.slice(30000, 30000 + dv.getUint32(208, true)));
  };
  const fstat = (fd) => {
    assert.equal(w.fd_filestat_get(fd, 300), 0);
    return { ino: dv.getBigUint64(300 + Filestat.ino, true), size: dv.getBigUint64(300 + Filestat.size, true),
      atim: dv.getBigUint64(300 + Filestat.atim, true), mtim: dv.getBigUint64(300 + Filestat.mtim, true) };
  };
  const pstat = (p, follow) => {
    const [ptr, len] = str(p);
    assert.equal(w.path_filestat_get(3, follow ? SYMLINK_FOLLOW : 0, ptr, len, 300), 0);
    return { atim: dv.getBigUint64(300 + Filestat.atim, true), mtim: dv.getBigUint64(300 + Filestat.mtim, true) };
  };
  const tell = (fd) => {
    assert.equal(w.fd_tell(fd, 400), 0);
    return dv.getBigUint64(400, true);
  };
  return { w, str, open, write, read, fstat, pstat, tell, dv };
}

for (const [name, make] of Object.entries(backends)) {
  test(`timestamps set with ns precision read back exactly, symlinks (nofollow) included (${name})`, async () => {
    const b = make();
    try {
      const g = await setup(b.preopen);
      const fd = g.open('t.txt', O.CREAT);
      assert.ok(fd > 0);
      const A = 1_700_000_000_123_456_789n, M = 1_600_000_000_987_654_321n;
      assert.equal(g.w.fd_filestat_set_times(fd, A, M, FST.ATIM | FST.MTIM), 0);
      assert.deepEqual([g.fstat(fd).atim, g.fstat(fd).mtim], [A, M]);
      assert.deepEqual(g.pstat('t.txt', false), { atim: A, mtim: M });
      // Only mtim: atim keeps its exact value.
      const M2 = 1_650_000_000_000_000_001n;
      assert.equal(g.w.fd_filestat_set_times(fd, 0n, M2, FST.MTIM), 0);
      assert.deepEqual([g.fstat(fd).atim, g.fstat(fd).mtim], [A, M2]);
      // Through a path, and on a symlink itself (nofollow), leaving its target alone.
      const [tp, tl] = g.str('t.txt'), [lp, ll] = g.str('lnk');
      assert.equal(g.w.path_symlink(tp, tl, 3, lp, ll), 0);
      const LA = 1_500_000_000_000_000_007n, LM = 1_500_000_000_000_000_009n;
      assert.equal(g.w.path_filestat_set_times(3, 0, lp, ll, LA, LM, FST.ATIM | FST.MTIM), 0);
      assert.deepEqual(g.pstat('lnk', false), { atim: LA, mtim: LM });
      assert.deepEqual(g.pstat('lnk', true), { atim: A, mtim: M2 }, 'the target is untouched');
      // Following the link sets the target's times.
      const FA = 1_400_000_000_000_000_333n;
      assert.equal(g.w.path_filestat_set_times(3, SYMLINK_FOLLOW, lp, ll, FA, 0n, FST.ATIM), 0);
      assert.deepEqual(g.pstat('t.txt', false), { atim: FA, mtim: M2 });
      // (Following the link read it, which may update its atime on the host: only mtim is still ours.)
      assert.equal(g.pstat('lnk', false).mtim, LM);
      // A later write changes mtim: the host's own value is reported again (close to now, not M2).
      g.write(fd, 'x');
      const after = g.fstat(fd).mtim;
      assert.ok(after > 1_700_000_000_000_000_000n, `mtim after a write: ${after}`);
      assert.equal(g.w.fd_close(fd), 0);
    } finally {
      b.done();
    }
  });

  test(`fd_fdstat_set_flags turns APPEND off and on for an open file, keeping offset and identity (${name})`, async () => {
    const b = make();
    try {
      const g = await setup(b.preopen);
      const fd = g.open('a.txt', O.CREAT, FDFLAG_APPEND);
      const ino = g.fstat(fd).ino;
      g.write(fd, 'hello');
      g.write(fd, 'world');
      assert.equal(g.read(fd, 100, 0), 'helloworld');
      // APPEND off: seek to 0 and overwrite; the size stays.
      assert.equal(g.w.fd_fdstat_set_flags(fd, 0), 0);
      assert.equal(g.w.fd_fdstat_get(fd, 500), 0);
      assert.equal(g.dv.getUint16(502, true) & FDFLAG_APPEND, 0);
      assert.equal(g.tell(fd), 10n, 'offset kept');
      assert.equal(g.w.fd_seek(fd, 0n, 0, 400), 0);
      g.write(fd, 'HEL');
      assert.equal(g.tell(fd), 3n);
      assert.equal(g.read(fd, 100, 0), 'HELloworld');
      assert.equal(g.fstat(fd).size, 10n);
      assert.equal(g.fstat(fd).ino, ino, 'same file');
      // pwrite at an offset lands there (an O_APPEND host fd would append it).
      g.dv.setUint32(200, g.str('W')[0], true);
      g.dv.setUint32(204, 1, true);
      assert.equal(g.w.fd_pwrite(fd, 200, 1, 5n, 208), 0);
      assert.equal(g.read(fd, 100, 0), 'HELloWorld');
      // APPEND on again: writes go to the end whatever the offset.
      assert.equal(g.w.fd_fdstat_set_flags(fd, FDFLAG_APPEND), 0);
      assert.equal(g.w.fd_seek(fd, 0n, 0, 400), 0);
      g.write(fd, '!');
      assert.equal(g.read(fd, 100, 0), 'HELloWorld!');
      assert.equal(g.tell(fd), 11n);
      assert.equal(g.fstat(fd).ino, ino);
      assert.equal(g.w.fd_close(fd), 0);
    } finally {
      b.done();
    }
  });
}

test('a directory swapped for a symlink to outside in a tight loop never lets anything land outside (host)', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-swap-'));
  const root = path.join(tmp, 'root'), outside = path.join(tmp, 'outside');
  fs.mkdirSync(path.join(root, 'dir'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'victim'), 'keep');
  fs.writeFileSync(path.join(root, 'base'), 'b');
  fs.symlinkSync(outside, path.join(root, 'lnk')); // absolute: the resolver refuses it, only a race could use it
  const victimStat = fs.lstatSync(path.join(outside, 'victim'));
  // The host process: swaps root/dir with the symlink, back and forth, for 2 s.
  const swapper = spawn(process.execPath, ['-e', `
    const fs = require('fs'); const r = ${JSON.stringify(root)};
    const end = Date.now() + 2000; let n = 0;
    while (Date.now() < end) {
      fs.renameSync(r + '/dir', r + '/dir.real'); fs.renameSync(r + '/lnk', r + '/dir');
      fs.renameSync(r + '/dir', r + '/lnk'); fs.renameSync(r + '/dir.real', r + '/dir'); n++;
    }
    console.log(n);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let swaps = '';
  swapper.stdout.on('data', (d) => (swaps += d));
  const exited = new Promise((r) => swapper.on('exit', r));
  try {
    const g = await setup(root);
    let done = false;
    exited.then(() => (done = true));
    let i = 0, created = 0;
    while (!done) {
      for (let k = 0; k < 20; k++, i++) {
        const fd = g.open(`dir/f${i}`, O.CREAT | O.TRUNC);
        if (fd > 0) {
          created++;
          g.w.fd_close(fd);
        }
        g.open('dir/victim', O.TRUNC); // truncating an outside file would be an escape too
        const [dp, dl] = g.str(`dir/d${i}`);
        g.w.path_create_directory(3, dp, dl);
        const [tp, tl] = g.str('x'), [sp, sl] = g.str(`dir/s${i}`);
        g.w.path_symlink(tp, tl, 3, sp, sl);
        const [bp, bl] = g.str('base'), [lp, ll] = g.str(`dir/l${i}`);
        g.w.path_link(3, 0, bp, bl, 3, lp, ll);
        const [fp, fl] = g.str(`dir/f${i}`), [rp, rl] = g.str(`dir/r${i}`);
        g.w.path_rename(3, fp, fl, 3, rp, rl);
        const [vp, vl] = g.str('dir/victim');
        g.w.path_unlink_file(3, vp, vl);
        g.w.path_filestat_set_times(3, 0, vp, vl, 5n, 5n, FST.ATIM | FST.MTIM);
      }
      await new Promise((r) => setImmediate(r)); // let the swapper's exit event in
    }
    await exited;
    assert.ok(Number(swaps) > 100, `the swapper ran (${swaps.trim()} swaps)`);
    assert.ok(created > 0 && i > 200, `the guest ran (${i} rounds, ${created} files created)`);
    assert.deepEqual(fs.readdirSync(outside), ['victim'], 'nothing created outside');
    const v = fs.lstatSync(path.join(outside, 'victim'));
    assert.equal(fs.readFileSync(path.join(outside, 'victim'), 'utf8'), 'keep');
    assert.equal(v.mtimeMs, victimStat.mtimeMs, 'outside file times untouched');
  } finally {
    swapper.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
