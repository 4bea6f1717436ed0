// Filesystem calls validate guest pointers, lengths and path bytes: EFAULT for memory out of bounds,
// EILSEQ for paths that are not UTF-8, EINVAL for NUL inside a path — on both backends, and nothing
// is created or changed by a rejected call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryFS } from '../dist/index.js';
import { wasiOnePage } from './helpers/wasi-page.mjs';

const E = { SUCCESS: 0, FAULT: 21, INVAL: 28, ILSEQ: 25, NOENT: 44 };
const END = 65536;
const R_ALL = 0x1fffffffn;

const backends = {
  host: () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-badfs-'));
    return { preopen: dir, list: () => fs.readdirSync(dir).sort(), done: () => fs.rmSync(dir, { recursive: true }) };
  },
  memfs: () => {
    const m = new MemoryFS({ '/d': null });
    return { preopen: m.dir('/d'), list: () => m.readdir('/d').sort(), done: () => {} };
  },
};

for (const [name, make] of Object.entries(backends)) {
  test(`path_* and fd_* filesystem calls reject bad pointers and bad path bytes (${name})`, async () => {
    const b = make();
    try {
      const { w, put, dv } = await wasiOnePage(b.preopen);
      const f = put(100, 'file.txt');
      // a real file to work on
      assert.equal(w.path_open(3, 0, 100, f, 1, R_ALL, R_ALL, 0, 200), E.SUCCESS);
      const fd = dv.getUint32(200, true);

      // path pointer/length out of bounds
      assert.equal(w.path_open(3, 0, END - 2, 8, 1, R_ALL, R_ALL, 0, 200), E.FAULT);
      assert.equal(w.path_open(3, 0, 100, 0x7fffffff, 1, R_ALL, R_ALL, 0, 200), E.FAULT);
      assert.equal(w.path_open(3, 0, 100, f, 0, R_ALL, R_ALL, 0, END - 2), E.FAULT, 'fd result out of bounds');
      assert.equal(w.path_create_directory(3, -1, 4), E.FAULT);
      assert.equal(w.path_filestat_get(3, 0, 100, f, END - 10), E.FAULT, 'filestat buffer');
      assert.equal(w.path_filestat_get(3, 0, END, 1, 300), E.FAULT);
      assert.equal(w.path_filestat_set_times(3, 0, END - 1, 4, 0n, 0n, 0), E.FAULT);
      assert.equal(w.path_link(3, 0, 100, f, 3, END - 1, 5), E.FAULT);
      assert.equal(w.path_link(3, 0, END - 1, 5, 3, 100, f), E.FAULT);
      assert.equal(w.path_readlink(3, 100, f, END - 4, 16, 400), E.FAULT, 'readlink buffer');
      assert.equal(w.path_readlink(3, 100, f, 500, 16, END - 1), E.FAULT, 'readlink result');
      assert.equal(w.path_remove_directory(3, END + 5, 3), E.FAULT);
      assert.equal(w.path_rename(3, 100, f, 3, END - 3, 8), E.FAULT);
      assert.equal(w.path_symlink(END - 3, 8, 3, 100, f), E.FAULT);
      assert.equal(w.path_unlink_file(3, 0xfffffff0, 32), E.FAULT);
      assert.equal(w.fd_readdir(3, END - 8, 64, 0n, 400), E.FAULT, 'readdir buffer');
      assert.equal(w.fd_readdir(3, 500, 64, 0n, END - 2), E.FAULT, 'readdir result');
      assert.equal(w.fd_filestat_get(fd, END - 60), E.FAULT);
      assert.equal(w.fd_prestat_dir_name(3, END - 2, 8), E.FAULT);
      assert.equal(w.fd_tell(fd, END - 4), E.FAULT);
      dv.setUint32(600, END - 2, true); dv.setUint32(604, 8, true); // iovec straddling the end
      assert.equal(w.fd_pwrite(fd, 600, 1, 0n, 700), E.FAULT);
      assert.equal(w.fd_pread(fd, 600, 1, 0n, 700), E.FAULT);
      assert.equal(w.fd_pread(fd, 600, 0x7fffffff, 0n, 700), E.FAULT, 'huge iovec count');
      assert.equal(w.fd_pwrite(fd, 600, 1, -1n, 700), E.INVAL, 'negative offset');

      // path bytes: not UTF-8, NUL inside
      const bad = put(800, [0x61, 0xff, 0xfe, 0x62]);
      assert.equal(w.path_open(3, 0, 800, bad, 1, R_ALL, R_ALL, 0, 200), E.ILSEQ);
      assert.equal(w.path_create_directory(3, 800, bad), E.ILSEQ);
      const nul = put(900, 'a\0b');
      assert.equal(w.path_open(3, 0, 900, nul, 1, R_ALL, R_ALL, 0, 200), E.INVAL);
      assert.equal(w.path_create_directory(3, 900, nul), E.INVAL);
      assert.equal(w.path_create_directory(3, 900, 0), E.NOENT, 'empty path');

      // nothing but the file was created
      assert.deepEqual(b.list(), ['file.txt']);
      assert.equal(w.fd_close(fd), E.SUCCESS);
    } finally {
      b.done();
    }
  });
}
