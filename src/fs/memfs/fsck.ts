import {
  CHUNK, ENTRY_HEADER, Superblock, Inode, MIN_SHIFT, SIZES, T_DIR, T_FILE, T_FREE, T_LINK, TAG_ALLOC, TAG_FREE, TAG_ORDER, TOMB,
  entryBytes, hashName,
} from './layout.js';
import type { Store } from './store.js';

export interface FsckReport {
  /** Invariant violations (empty when the filesystem is consistent). */
  errors: string[];
  inodesUsed: number;
  dirs: number;
  files: number;
  symlinks: number;
  /** Unlinked inodes kept alive by open handles. */
  orphans: number;
  blocksAllocated: number;
  bytesAllocated: number;
  bytesFree: number;
}

/**
 * Walks the whole structure under the lock and checks its invariants: the buddy blocks tile the data
 * region, free lists match the side table and the free byte count, every allocated block is owned by
 * exactly one inode field, directory hash tables index exactly the live entries, link counts match the
 * references, parents are right, unreachable inodes are open orphans, and storage past EOF is zero.
 */
export function fsck(s: Store): FsckReport {
  s.lock();
  try {
    return check(s);
  } finally {
    s.unlock();
  }
}

function check(s: Store): FsckReport {
  const { u8, u32 } = s;
  const errors: string[] = [];
  const err = (m: string) => {
    if (errors.length < 100) errors.push(m);
  };

  // 1. The side table tiles the data region with blocks.
  const allocated = new Map<number, number>(); // offset -> order
  const freeBlocks = new Map<number, number>();
  let bytesFree = 0;
  let bytesAllocated = 0;
  for (let rel = 0; rel < s.dataSize; ) {
    const tag = u8[s.sideOff + (rel >>> MIN_SHIFT)]!;
    const k = tag & TAG_ORDER;
    const sz = SIZES[k]!;
    if ((tag & (TAG_ALLOC | TAG_FREE)) === 0 || (tag & TAG_ALLOC && tag & TAG_FREE)) {
      err(`side table: no block starts at data+${rel}`);
      break;
    }
    if (rel % sz !== 0 || rel + sz > s.dataSize) err(`block at data+${rel} order ${k} misaligned or past the end`);
    for (let u = (rel >>> MIN_SHIFT) + 1; u < (rel + sz) / 64 && u < s.dataSize / 64; u++) {
      if (u8[s.sideOff + u] !== 0) {
        err(`side table: stray tag inside block at data+${rel}`);
        break;
      }
    }
    if (tag & TAG_FREE) {
      freeBlocks.set(s.dataOff + rel, k);
      bytesFree += sz;
    } else {
      allocated.set(s.dataOff + rel, k);
      bytesAllocated += sz;
    }
    rel += sz;
  }
  if (u32[Superblock.FREE_BYTES] !== bytesFree) err(`FREE_BYTES ${u32[Superblock.FREE_BYTES]} but free blocks hold ${bytesFree}`);

  // 2. Free lists hold exactly the free blocks.
  let listed = 0;
  for (let k = 0; k < SIZES.length; k++) {
    const head = u32[Superblock.HEADS + k]!;
    const bit = (u32[Superblock.FREE_MASK]! >>> k) & 1;
    if ((head !== 0) !== (bit === 1)) err(`free mask bit ${k} disagrees with its list`);
    let prev = 0;
    for (let off = head, n = 0; off; off = u32[off >>> 2]!, n++) {
      if (freeBlocks.get(off) !== k) {
        err(`free list ${k} holds ${off}, which is not a free block of that order`);
        break;
      }
      if (u32[(off >>> 2) + 1] !== prev) err(`free list ${k}: bad prev link at ${off}`);
      if (n > freeBlocks.size) {
        err(`free list ${k} has a cycle`);
        break;
      }
      prev = off;
      listed++;
    }
  }
  if (listed !== freeBlocks.size) err(`${freeBlocks.size} free blocks but ${listed} on free lists`);

  // 3. Inodes.
  const hwm = u32[Superblock.HWM]!;
  const owner = new Map<number, number>();
  const claim = (off: number, min: number, ino: number, what: string) => {
    const k = allocated.get(off);
    if (k === undefined) return err(`ino ${ino} ${what} points to ${off}, not an allocated block`);
    if (owner.has(off)) return err(`block ${off} owned by ino ${owner.get(off)} and ino ${ino} (${what})`);
    owner.set(off, ino);
    if (SIZES[k]! < min) err(`ino ${ino} ${what}: block of ${SIZES[k]} bytes, needs ${min}`);
  };
  const onFreeList = new Uint8Array(hwm + 1);
  let freeCount = 0;
  for (let ino = u32[Superblock.IFREE]!; ino; ino = u32[s.rec(ino) + Inode.NEXT_FREE]!) {
    if (ino >= hwm || onFreeList[ino]) {
      err(`free inode list: bad or repeated ino ${ino}`);
      break;
    }
    onFreeList[ino] = 1;
    freeCount++;
    if (u32[s.rec(ino) + Inode.TYPE] !== T_FREE) err(`ino ${ino} on the free list but in use`);
  }
  let used = 0;
  for (let ino = 1; ino < hwm; ino++) {
    const free = u32[s.rec(ino) + Inode.TYPE] === T_FREE;
    if (free && !onFreeList[ino]) err(`ino ${ino} is free but not on the free list`);
    if (!free) used++;
  }
  if (used !== u32[Superblock.IUSED]) err(`IUSED ${u32[Superblock.IUSED]} but ${used} inodes in use`);
  if (used + freeCount !== hwm - 1) err(`inode accounting: ${used} used + ${freeCount} free != ${hwm - 1}`);

  // 4. Directory tree.
  const refs = new Uint32Array(hwm + 1);
  const subdirs = new Uint32Array(hwm + 1);
  const dec = new TextDecoder();
  const queue = [1];
  const seenDir = new Uint8Array(hwm + 1);
  seenDir[1] = 1;
  if (u32[s.rec(1) + Inode.TYPE] !== T_DIR) err('root is not a directory');
  while (queue.length) {
    const dir = queue.pop()!;
    const r = s.rec(dir);
    const eb = u32[r + Inode.DATA]!;
    const hb = u32[r + Inode.D_HASH]!;
    const usedB = u32[r + Inode.D_USED]!;
    const hcap = u32[r + Inode.D_HCAP]!;
    if (!eb) {
      if (hb || usedB || u32[r + Inode.D_LIVE]) err(`dir ${dir}: no entry block but non-empty fields`);
      continue;
    }
    claim(eb, usedB, dir, 'entries');
    claim(hb, hcap * 4, dir, 'hash');
    if (hcap & (hcap - 1) || hcap < 16) err(`dir ${dir}: hash capacity ${hcap}`);
    let live = 0;
    let dead = 0;
    const names = new Set<string>();
    const liveOffsets = new Set<number>();
    for (let p = 0; p < usedB; ) {
      const a = eb + p;
      const child = u32[a >>> 2]!;
      const n = u32[(a >>> 2) + 2]!;
      const len = entryBytes(n);
      if (n === 0 || n > 255 || p + len > usedB) {
        err(`dir ${dir}: corrupt entry at +${p}`);
        break;
      }
      if (!child) {
        dead += len;
        p += len;
        continue;
      }
      live++;
      liveOffsets.add(p + 1);
      const nameBytes = u8.slice(a + ENTRY_HEADER, a + ENTRY_HEADER + n);
      const name = dec.decode(nameBytes);
      if (names.has(name)) err(`dir ${dir}: duplicate name ${JSON.stringify(name)}`);
      names.add(name);
      const h = u32[(a >>> 2) + 1]!;
      if (hashName(nameBytes, 0, n) !== h) err(`dir ${dir}: stale hash for ${name}`);
      // The hash table must find this entry before an empty slot.
      let found = false;
      for (let i = h & (hcap - 1), tries = 0; tries < hcap; i = (i + 1) & (hcap - 1), tries++) {
        const v = u32[(hb >>> 2) + i]!;
        if (v === 0) break;
        if (v === p + 1) {
          found = true;
          break;
        }
      }
      if (!found) err(`dir ${dir}: ${name} not reachable through the hash table`);
      if (child >= hwm || u32[s.rec(child) + Inode.TYPE] === T_FREE) {
        err(`dir ${dir}: ${name} refers to free inode ${child}`);
      } else {
        refs[child]!++;
        if (u32[s.rec(child) + Inode.TYPE] === T_DIR) {
          subdirs[dir]!++;
          if (u32[s.rec(child) + Inode.PARENT] !== dir) err(`dir ${child} (${name}): parent ${u32[s.rec(child) + Inode.PARENT]}, expected ${dir}`);
          if (seenDir[child]) err(`dir ${child} reachable twice`);
          else {
            seenDir[child] = 1;
            queue.push(child);
          }
        }
      }
      p += len;
    }
    if (live !== u32[r + Inode.D_LIVE]) err(`dir ${dir}: D_LIVE ${u32[r + Inode.D_LIVE]} but ${live} live entries`);
    if (dead !== u32[r + Inode.D_DEAD]) err(`dir ${dir}: D_DEAD ${u32[r + Inode.D_DEAD]} but ${dead} dead bytes`);
    let fill = 0;
    for (let i = 0; i < hcap; i++) {
      const v = u32[(hb >>> 2) + i]!;
      if (v === 0) continue;
      fill++;
      if (v !== TOMB && !liveOffsets.has(v)) err(`dir ${dir}: hash slot ${i} points to a dead or bogus entry`);
    }
    if (fill !== u32[r + Inode.D_HFILL]) err(`dir ${dir}: D_HFILL ${u32[r + Inode.D_HFILL]} but ${fill} filled slots`);
    if (fill * 4 > hcap * 3 + 4) err(`dir ${dir}: hash table overfull`);
  }

  // 5. Per-inode checks: link counts, reachability, owned storage.
  let dirs = 0;
  let files = 0;
  let symlinks = 0;
  let orphans = 0;
  for (let ino = 1; ino < hwm; ino++) {
    const r = s.rec(ino);
    const type = u32[r + Inode.TYPE]!;
    if (type === T_FREE) continue;
    const nlink = u32[r + Inode.NLINK]!;
    const open = u32[r + Inode.OPEN]!;
    const reachable = ino === 1 || refs[ino]! > 0;
    if (!reachable) {
      if (nlink !== 0 || open === 0) err(`ino ${ino} unreachable with nlink ${nlink}, open ${open}`);
      else orphans++;
    }
    if (type === T_DIR) {
      dirs++;
      if (reachable) {
        if (ino !== 1 && refs[ino] !== 1) err(`dir ${ino} has ${refs[ino]} names`);
        if (nlink !== 2 + subdirs[ino]!) err(`dir ${ino}: nlink ${nlink}, expected ${2 + subdirs[ino]!}`);
      } else {
        const eb = u32[r + Inode.DATA]!;
        if (eb) err(`orphan dir ${ino} still has entries`);
      }
    } else if (type === T_FILE) {
      files++;
      if (reachable && nlink !== refs[ino]) err(`file ${ino}: nlink ${nlink} but ${refs[ino]} names`);
      checkFile(s, ino, claim, err);
    } else if (type === T_LINK) {
      symlinks++;
      if (reachable && nlink !== refs[ino]) err(`symlink ${ino}: nlink ${nlink} but ${refs[ino]} names`);
      const d = u32[r + Inode.DATA]!;
      const size = s.getSize(r);
      if (!d || size === 0) err(`symlink ${ino} has no target`);
      else claim(d, size, ino, 'target');
    } else {
      err(`ino ${ino}: bad type ${type}`);
    }
  }
  for (const off of allocated.keys()) if (!owner.has(off)) err(`leaked block ${off} (${SIZES[allocated.get(off)!]} bytes)`);

  return {
    errors,
    inodesUsed: used,
    dirs,
    files,
    symlinks,
    orphans,
    blocksAllocated: allocated.size,
    bytesAllocated,
    bytesFree,
  };
}

function checkFile(
  s: Store,
  ino: number,
  claim: (off: number, min: number, ino: number, what: string) => void,
  err: (m: string) => void,
): void {
  const { u8, u32 } = s;
  const r = s.rec(ino);
  const size = s.getSize(r);
  const d = u32[r + Inode.DATA]!;
  const cap = u32[r + Inode.MAPCAP]!;
  const zeroFrom = (a: number, b: number, what: string) => {
    for (let i = a; i < b; i++) {
      if (u8[i] !== 0) return err(`file ${ino}: non-zero byte past EOF in ${what}`);
    }
  };
  if (cap === 0) {
    if (size > CHUNK) err(`file ${ino}: direct mode with size ${size}`);
    if (!d) {
      if (size) err(`file ${ino}: size ${size} without data`);
      return;
    }
    claim(d, size, ino, 'data');
    zeroFrom(d + size, d + s.blockCap(d), 'direct block');
    return;
  }
  claim(d, cap * 4, ino, 'chunk map');
  const need = Math.ceil(size / CHUNK);
  if (cap < need) err(`file ${ino}: map of ${cap} for ${need} chunks`);
  for (let i = 0; i < cap; i++) {
    const c = u32[(d >>> 2) + i]!;
    if (!c) continue;
    if (i >= need) err(`file ${ino}: chunk ${i} past EOF`);
    claim(c, CHUNK, ino, `chunk ${i}`);
    if (i === need - 1) zeroFrom(c + (size - i * CHUNK), c + CHUNK, `chunk ${i}`);
  }
}
