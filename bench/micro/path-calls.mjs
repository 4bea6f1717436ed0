// The path rows of `--only fs` without wasm: the WASI imports of weft's WASI class (or node:wasi's) called
// straight from JS on the main thread, so the per-call cost is seen once warm (the fs programs' mkdir loop
// is 300 pairs: mostly JIT warm-up for weft) and apart from the guest. Process CPU time per call (all
// threads: V8's compiler threads included), median of 5 rounds of N after WARM warm-up calls.
//   node bench/micro/path-calls.mjs [weft|node] [DIST] [case,...]     (env WARM=2000 N=3000; ROUNDS=k prints each)
// (readdir: one call = a whole listing of 10,000 entries; WARM=5 N=10 unless set. readdirSettled: the same
// listing of the directory once it has been left unchanged for 3 s, which weft remembers the inodes of)
import fs from 'node:fs';
import path from 'node:path';
import { benchTmp } from '../data-dir.mjs';
import { wat2wasm } from '../../test/helpers/wat.mjs';

const which = process.argv[2] ?? 'weft';
const dist = path.resolve(process.argv[3] ?? new URL('../../dist', import.meta.url).pathname);
const only = process.argv[4]?.split(',');
const WARM = Number(process.env.WARM ?? 2000), N = Number(process.env.N ?? 3000), ROUNDS = Number(process.env.ROUNDS ?? 5);

const D = fs.mkdtempSync(path.join(benchTmp(), 'weft-path-calls-'));
fs.writeFileSync(path.join(D, 'small.txt'), 'small\n');
fs.symlinkSync('small.txt', path.join(D, 'link'));
fs.mkdirSync(path.join(D, 'a/b/c/d/e/f'), { recursive: true });
fs.writeFileSync(path.join(D, 'a/b/c/d/e/f/g'), 'x');
// readdir: a whole listing of 10,000 empty files per call (64 KiB buffer, cookie chaining), as the fs group
if (!only || only.some((c) => c.startsWith('readdir'))) {
  fs.mkdirSync(path.join(D, 'd10k'));
  for (let i = 0; i < 10000; i++) fs.writeFileSync(path.join(D, 'd10k', `file-${String(i).padStart(5, '0')}`), '');
}
process.on('exit', () => fs.rmSync(D, { recursive: true, force: true }));

const { WASI } = which === 'node' ? await import('node:wasi') : await import(`${dist}/index.js`);
const bytes = await wat2wasm('(module (memory (export "memory") 1) (func (export "_initialize")))');
const wasi = new WASI({ version: 'preview1', args: ['prog'], preopens: { '/sandbox': D } });
const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
instance.exports.memory.grow(1);
wasi.initialize(instance);
const w = wasi.wasiImport;
const u8 = new Uint8Array(instance.exports.memory.buffer), dv = new DataView(instance.exports.memory.buffer);
const put = (at, s) => {
  const b = new TextEncoder().encode(s);
  u8.set(b, at);
  return b.length;
};
const R = which === 'node' ? 0n : 0x1fffffffn; // uvwasi refuses rights its preopen lacks
const small = put(100, 'small.txt'), deep = put(200, 'a/b/c/d/e/f/g'), link = put(300, 'link'), dir = put(400, 'newdir');
const d10k = put(500, 'd10k');
const BUF = 0x10000, BUFLEN = 0x10000; // 64 KiB at 64 KiB (page 2: the memory is grown below)
const ok = (r, what) => {
  if (r !== 0) throw new Error(`${what}: errno ${r}`);
};
const cases = {
  open: () => {
    ok(w.path_open(3, 1, 100, small, 0, R, R, 0, 1000), 'path_open');
    ok(w.fd_close(dv.getUint32(1000, true)), 'fd_close');
  },
  pstat7: () => ok(w.path_filestat_get(3, 1, 200, deep, 1100), 'path_filestat_get'),
  pstat1: () => ok(w.path_filestat_get(3, 1, 100, small, 1100), 'path_filestat_get'),
  readlink: () => ok(w.path_readlink(3, 300, link, 1200, 64, 1300), 'path_readlink'),
  mkdir: () => {
    ok(w.path_create_directory(3, 400, dir), 'path_create_directory');
    ok(w.path_remove_directory(3, 400, dir), 'path_remove_directory');
  },
  fstat: () => ok(w.fd_filestat_get(3, 1100), 'fd_filestat_get'),
  readdir: () => {
    ok(w.path_open(3, 0, 500, d10k, 2, which === 'node' ? 16384n : R & ~64n, R, 0, 1000), 'path_open'); // FD_READDIR; no FD_WRITE on a directory
    const fd = dv.getUint32(1000, true);
    let cookie = 0n, n = 0;
    for (;;) {
      ok(w.fd_readdir(fd, BUF, BUFLEN, cookie, 1004), 'fd_readdir');
      const used = dv.getUint32(1004, true);
      let at = 0;
      while (at + 24 <= used) {
        const namlen = dv.getUint32(BUF + at + 16, true);
        if (at + 24 + namlen > used) break;
        cookie = dv.getBigUint64(BUF + at, true);
        at += 24 + namlen;
        n++;
      }
      if (used < BUFLEN) break;
    }
    if (n < 10000) throw new Error(`readdir: ${n} entries`); // (uvwasi: with or without . and ..)
    ok(w.fd_close(fd), 'fd_close');
  },
};
cases.readdirSettled = cases.readdir;
// per-case counts (a readdir call is a whole listing)
const COUNTS = { readdir: [Number(process.env.WARM ?? 5), Number(process.env.N ?? 10)] };
COUNTS.readdirSettled = COUNTS.readdir;
for (const [name, f] of Object.entries(cases)) {
  if (only && !only.includes(name)) continue;
  if (name === 'readdirSettled') {
    const settledAt = fs.statSync(path.join(D, 'd10k')).ctimeMs + 3100;
    await new Promise((r) => setTimeout(r, Math.max(0, settledAt - Date.now())));
  }
  const [warm, n] = COUNTS[name] ?? [WARM, N];
  for (let i = 0; i < warm; i++) f();
  const res = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const u = process.cpuUsage(c);
    res.push((u.user + u.system) / n);
  }
  if (process.env.ROUNDS) console.log(res.map((x) => x.toFixed(0)).join(' '));
  const sorted = [...res].sort((a, b) => a - b);
  console.log(`${which.padEnd(5)} ${name.padEnd(9)} µs CPU per call: median ${sorted[sorted.length >> 1].toFixed(2)}, min ${sorted[0].toFixed(2)}`);
}
