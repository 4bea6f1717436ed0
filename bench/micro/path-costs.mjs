// Host-call costs behind path resolution, in isolation (no wasm, no weft): what one resolution of a path
// 7 components deep costs as weft walks it (one lstat per prefix) against one lstat of the whole path and an
// lstat relative to a held directory fd (the verified-directory-cache design of docs/benchmarks.md, issue 19),
// and what an expected error costs when Node throws it. Process CPU time per call, median of 4 rounds.
//   node bench/micro/path-costs.mjs
import fs from 'node:fs';
import path from 'node:path';
import { benchTmp } from '../data-dir.mjs';

const root = fs.mkdtempSync(path.join(benchTmp(), 'weft-path-costs-'));
const parts = 'a/b/c/d/e/f/small.txt'.split('/');
fs.mkdirSync(path.join(root, ...parts.slice(0, -1)), { recursive: true });
fs.writeFileSync(path.join(root, ...parts), 'small\n');
const dirFd = fs.openSync(path.join(root, ...parts.slice(0, -1)), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
const N = 20000;
const variants = {
  'walk: 7 lstat (bigint stats)': () => {
    let p = root;
    for (const c of parts) fs.lstatSync((p += '/' + c), { bigint: true });
  },
  'walk: 7 lstat (number stats)': () => {
    let p = root;
    for (const c of parts) fs.lstatSync((p += '/' + c));
  },
  'one lstat of the whole path (bigint)': () => fs.lstatSync(root + '/' + parts.join('/'), { bigint: true }),
  'one lstat of the whole path (number)': () => fs.lstatSync(root + '/' + parts.join('/')),
  'lstat of /proc/self/fd/<dir fd>/small.txt': () => fs.lstatSync(`/proc/self/fd/${dirFd}/small.txt`),
  'lstat of a missing name, throwing': () => {
    try { fs.lstatSync(root + '/nope'); } catch { /* expected */ }
  },
  'lstat of a missing name, throwIfNoEntry: false': () => fs.lstatSync(root + '/nope', { throwIfNoEntry: false }),
  'readlink of a non-link (throws EINVAL)': () => {
    try { fs.readlinkSync(root + '/' + parts.join('/')); } catch { /* expected */ }
  },
};
const res = {};
for (let r = 0; r < 5; r++) {
  for (const [k, f] of Object.entries(variants)) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) f();
    const c = process.cpuUsage(c0);
    (res[k] ??= []).push((c.user + c.system) / N);
  }
}
fs.closeSync(dirFd);
fs.rmSync(root, { recursive: true, force: true });
for (const [k, a] of Object.entries(res)) {
  const s = a.slice(1).sort((x, y) => x - y); // round 1 is the warm-up
  console.log(`${k.padEnd(48)} ${((s[1] + s[2]) / 2).toFixed(2)} µs CPU`);
}
