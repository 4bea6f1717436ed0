// Filesystem benchmark programs (WAT; assembled by gen.mjs with the others). They use the first preopen,
// fd 3, which the harness points at a prepared host directory (bench/run.mjs prepareFsData):
//   big.bin     FS.readBytes bytes          read sequentially in 64 KiB fd_reads (throughput)
//   small.txt   a few bytes                 path_open + fd_close
//   d10k/       FS.dirEntries empty files   full fd_readdir listings (64 KiB buffer, cookie chaining)
//   w.out       created/truncated           fd_write of 1 byte per call
//   link        symlink to small.txt        path_readlink
//   a/b/c/d/e/f/small.txt                   path_filestat_get 7 components deep (the absolute host paths of
//                                           napi-rs loaders, which preopen / as /, are 6-8 deep)
//   newdir      created and removed         path_create_directory + path_remove_directory
// Same shape as gen.mjs's syscall loops: one untimed loop, then `reps` timed loops each printing its total ns
// as "@ <tag> <ns>"; the shared variant repeats everything on a spawned thread (own fds, own buffers).
// Any failing call traps (unreachable), so a run that prints numbers did all its work.
//
// Memory (4 pages): header's 0/16/24/64/72/2048/2304 (see gen.mjs), per-thread slot at 512 (main) or 768
// (thread): +0 iovec {buf, 65536}, +8 nread/nwritten/bufused, +12 fd, +16 seek result, +24 opened fd,
// +32 the byte 'x', +40 iovec {+32, 1}; names at 3072.. (32 bytes each); 64 KiB buffers at 65536 (main) and
// 131072 (thread), which also take the filestat and readlink results.
import { CPU_TAG, header } from './gen.mjs';

export const FS = {
  readBytes: 256 * 1024 * 1024,
  readChunk: 65536,
  dirEntries: 10000,
  // calls (or passes / listings) per timed loop
  write: 10000,
  read: 1,
  open: 2000,
  readdir: 3,
  pstat: 2000,
  pstat7: 2000,
  fstat: 10000,
  seek: 10000,
  readlink: 2000,
  mkdir: 300,
  reps: 3,
};
/** The path of the deep path_filestat_get (its directories are made by bench/run.mjs prepareFsData). */
export const DEEP = 'a/b/c/d/e/f/small.txt';

export const FS_TAG = {
  writeMain: 50, writeThread: 51, readMain: 52, readThread: 53,
  openMain: 54, openThread: 55, readdirMain: 56, readdirThread: 57,
  pstatMain: 80, pstatThread: 81, pstat7Main: 82, pstat7Thread: 83, fstatMain: 84, fstatThread: 85,
  seekMain: 86, seekThread: 87, readlinkMain: 88, readlinkThread: 89, mkdirMain: 90, mkdirThread: 91,
};

const NAMES = Object.fromEntries(Object.entries({ big: 'big.bin', small: 'small.txt', dir: 'd10k', out: 'w.out', link: 'link', deep: DEEP, newdir: 'newdir' })
  .map(([k, s], i) => [k, [3072 + 32 * i, s]]));
const R = { FD_READ: 1 << 1, FD_SEEK: 1 << 2, FD_TELL: 1 << 5, FD_WRITE: 1 << 6, FD_READDIR: 1 << 14, FD_FILESTAT_GET: 1 << 21 };
const LOOKUP_SYMLINK_FOLLOW = 1;
const O = { CREAT: 1, DIRECTORY: 2, TRUNC: 8 };

const imports = `
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink" (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory" (func $path_remove_directory (param i32 i32 i32) (result i32)))`;

const open = (name, oflags, rights, out) => {
  const [at, s] = NAMES[name];
  return `(call $open (i32.const ${at}) (i32.const ${s.length}) (i32.const ${oflags}) (i64.const ${rights}) ${out})`;
};

/** `(i32.const <address>) (i32.const <length>)` of a name */
const name = (n) => `(i32.const ${NAMES[n][0]}) (i32.const ${NAMES[n][1].length})`;
/** path_filestat_get of a name (following symlinks, as stat() does); checks the file type (4 = regular) */
const pstat = (n) => `(if (call $path_filestat_get (i32.const 3) (i32.const ${LOOKUP_SYMLINK_FOLLOW}) ${name(n)} (local.get $buf)) (then unreachable))
    (if (i32.ne (i32.load8_u offset=16 (local.get $buf)) (i32.const 4)) (then unreachable))`;
const openSmall = open('small', 0, R.FD_READ | R.FD_SEEK | R.FD_TELL | R.FD_FILESTAT_GET, '(i32.add (local.get $s) (i32.const 12))');

/** kind -> [setup, body] (WAT statements; $s = slot, $buf = 64 KiB buffer). */
const KINDS = {
  write: [
    `${open('out', O.CREAT | O.TRUNC, R.FD_WRITE | R.FD_SEEK | R.FD_TELL, '(i32.add (local.get $s) (i32.const 12))')}
    (i32.store8 offset=32 (local.get $s) (i32.const 120))
    (i32.store offset=40 (local.get $s) (i32.add (local.get $s) (i32.const 32)))
    (i32.store offset=44 (local.get $s) (i32.const 1))`,
    `(if (call $write (i32.load offset=12 (local.get $s)) (i32.add (local.get $s) (i32.const 40)) (i32.const 1)
        (i32.add (local.get $s) (i32.const 8))) (then unreachable))
    (if (i32.ne (i32.load offset=8 (local.get $s)) (i32.const 1)) (then unreachable))`,
  ],
  read: [
    `${open('big', 0, R.FD_READ | R.FD_SEEK | R.FD_TELL, '(i32.add (local.get $s) (i32.const 12))')}
    (i32.store (local.get $s) (local.get $buf))
    (i32.store offset=4 (local.get $s) (i32.const ${FS.readChunk}))`,
    // one pass: rewind, read to EOF, check the byte count
    `(if (call $seek (i32.load offset=12 (local.get $s)) (i64.const 0) (i32.const 0) (i32.add (local.get $s) (i32.const 16)))
      (then unreachable))
    (local.set $total (i64.const 0))
    (loop $chunk
      (if (call $read (i32.load offset=12 (local.get $s)) (local.get $s) (i32.const 1) (i32.add (local.get $s) (i32.const 8)))
        (then unreachable))
      (local.set $total (i64.add (local.get $total) (i64.extend_i32_u (i32.load offset=8 (local.get $s)))))
      (br_if $chunk (i32.load offset=8 (local.get $s))))
    (if (i64.ne (local.get $total) (i64.const ${FS.readBytes})) (then unreachable))`,
  ],
  open: [
    '',
    `${open('small', 0, R.FD_READ | R.FD_SEEK | R.FD_TELL, '(i32.add (local.get $s) (i32.const 24))')}
    (if (call $close (i32.load offset=24 (local.get $s))) (then unreachable))`,
  ],
  readdir: [
    `${open('dir', O.DIRECTORY, R.FD_READDIR, '(i32.add (local.get $s) (i32.const 12))')}`,
    // one full listing from cookie 0: count whole dirents (24-byte header + name), continue from the last
    // whole one's d_next while the buffer comes back full
    `(local.set $cookie (i64.const 0))
    (local.set $count (i32.const 0))
    (loop $call
      (if (call $readdir (i32.load offset=12 (local.get $s)) (local.get $buf) (i32.const ${FS.readChunk}) (local.get $cookie)
          (i32.add (local.get $s) (i32.const 8))) (then unreachable))
      (local.set $used (i32.load offset=8 (local.get $s)))
      (local.set $pos (i32.const 0))
      (block $end (loop $ent
        (br_if $end (i32.gt_u (i32.add (local.get $pos) (i32.const 24)) (local.get $used)))
        (local.set $next (i32.add (i32.add (local.get $pos) (i32.const 24))
          (i32.load offset=16 (i32.add (local.get $buf) (local.get $pos)))))
        (br_if $end (i32.gt_u (local.get $next) (local.get $used)))
        (local.set $cookie (i64.load (i32.add (local.get $buf) (local.get $pos))))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $pos (local.get $next))
        (br $ent)))
      (br_if $call (i32.eq (local.get $used) (i32.const ${FS.readChunk}))))
    ;; node:wasi (libuv) leaves out '.' and '..'
    (if (i32.and (i32.ne (local.get $count) (i32.const ${FS.dirEntries + 2})) (i32.ne (local.get $count) (i32.const ${FS.dirEntries})))
      (then unreachable))`,
  ],
  pstat: ['', pstat('small')],
  pstat7: ['', pstat('deep')],
  fstat: [openSmall,
    `(if (call $fd_filestat_get (i32.load offset=12 (local.get $s)) (local.get $buf)) (then unreachable))
    (if (i32.ne (i32.load8_u offset=16 (local.get $buf)) (i32.const 4)) (then unreachable))`],
  seek: [openSmall,
    `(if (call $seek (i32.load offset=12 (local.get $s)) (i64.const 3) (i32.const 0) (i32.add (local.get $s) (i32.const 16)))
      (then unreachable))
    (if (i64.ne (i64.load offset=16 (local.get $s)) (i64.const 3)) (then unreachable))`],
  readlink: ['',
    `(if (call $path_readlink (i32.const 3) ${name('link')} (local.get $buf) (i32.const 256) (i32.add (local.get $s) (i32.const 8)))
      (then unreachable))
    (if (i32.ne (i32.load offset=8 (local.get $s)) (i32.const ${'small.txt'.length})) (then unreachable))`],
  mkdir: ['',
    `(if (call $path_create_directory (i32.const 3) ${name('newdir')}) (then unreachable))
    (if (call $path_remove_directory (i32.const 3) ${name('newdir')}) (then unreachable))`],
};

const fsLoop = (shared, kind) => {
  const [setup, body] = KINDS[kind];
  const n = FS[kind];
  const tagMain = FS_TAG[`${kind}Main`], tagThread = FS_TAG[`${kind}Thread`];
  const names = Object.values(NAMES).map(([at, s]) =>
    [...s].map((c, i) => `(i32.store8 (i32.const ${at + i}) (i32.const ${c.charCodeAt(0)}))`).join(' ')).join('\n    ');
  return `(module ${header(shared, 4, imports)}
  (func $open (param $path i32) (param $len i32) (param $oflags i32) (param $rights i64) (param $out i32)
    (if (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len) (local.get $oflags)
        (local.get $rights) (i64.const 0) (i32.const 0) (local.get $out)) (then unreachable)))
  (func $setup (param $s i32) (param $buf i32)
    ${setup})
  (func $body (param $s i32) (param $buf i32)
    (local $total i64) (local $cookie i64) (local $count i32) (local $used i32) (local $pos i32) (local $next i32)
    ${body})
  (func $loop (param $n i32) (param $s i32) (param $buf i32)
    (loop $l
      (call $body (local.get $s) (local.get $buf))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n))))
  ;; setup, one untimed loop, then ${FS.reps} timed loops, each printing its total ns
  (func $bench (param $print i32) (param $tag i32) (param $scratch i32) (param $s i32) (param $buf i32)
    (local $t0 i64) (local $c0 i64) (local $r i32)
    (call $setup (local.get $s) (local.get $buf))
    (call $loop (i32.const ${n}) (local.get $s) (local.get $buf))
    (local.set $r (i32.const ${FS.reps}))
    (loop $rep
      (local.set $c0 (call $cpu (local.get $scratch)))
      (local.set $t0 (call $now (local.get $scratch)))
      (call $loop (i32.const ${n}) (local.get $s) (local.get $buf))
      (call $emit (local.get $print) (local.get $tag) (i64.sub (call $now (local.get $scratch)) (local.get $t0)))
      (call $emit (local.get $print) (i32.add (local.get $tag) (i32.const ${CPU_TAG})) (i64.sub (call $cpu (local.get $scratch)) (local.get $c0)))
      (local.set $r (i32.sub (local.get $r) (i32.const 1)))
      (br_if $rep (local.get $r))))
  ${shared ? `(func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (call $bench (i32.const 2304) (i32.const ${tagThread}) (i32.const 64) (i32.const 768) (i32.const 131072))
    (call $signal (i32.const 0)))` : ''}
  (func (export "_start")
    ${names}
    (call $bench (i32.const 2048) (i32.const ${tagMain}) (i32.const 16) (i32.const 512) (i32.const 65536))
    ${shared ? `(call $spawn_or_trap (i32.const 0))
    (call $await (i32.const 0))` : ''})
)`;
};

export const fsPrograms = {};
for (const kind of Object.keys(KINDS)) {
  fsPrograms[`fs${kind}-plain`] = () => fsLoop(false, kind);
  fsPrograms[`fs${kind}-shared`] = () => fsLoop(true, kind);
}
