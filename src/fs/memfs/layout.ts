/**
 * Byte layout of the shared in-memory filesystem. Everything lives in one SharedArrayBuffer:
 *
 *   [0, 4096)            header (u32 words, see H)
 *   [4096, ITAB)         undo journal: (word index, old value) pairs of the current critical section
 *   [ITAB, SIDE)         inode table: (maxInodes + 1) records of 32 u32 words (ino 0 unused, 1 = root)
 *   [SIDE, DATA)         buddy side table: one tag byte per 64-byte unit of the data region
 *   [DATA, DATA+size)    data region managed by a binary buddy allocator (blocks of 64 B .. 4 GiB)
 *
 * All offsets stored in the buffer are absolute byte offsets (u32; 0 means "none"), so a buffer is at
 * most 4 GiB. Free buddy blocks hold their free-list links (next, prev) in their first 8 bytes.
 *
 * Crash safety: a Worker can be terminated in the middle of an operation (the runtime tears threads
 * down on exit), leaving the lock held and structures half-updated. Every metadata write inside the
 * lock is therefore logged to the undo journal first; long operations reset the journal at points
 * where the structure is consistent (checkpoints). Store.recover() rolls back to the last checkpoint.
 * Writes that need no logging: file data bytes, bytes past a directory's used length, and blocks
 * allocated in the current segment (alloc logs the two link words it is about to lose).
 */

export const MAGIC = 0x74666577; // "weft"
export const VERSION = 1;
const HEADER_BYTES = 4096;

/** Header word indices. */
export const Superblock = {
  MAGIC: 0,
  VERSION: 1,
  /** The filesystem mutex: 0 free, 1 held, 2 held with (possible) waiters. */
  LOCK: 2,
  /** Reserved, always 0 (was the target of a may-this-thread-block probe; abi/agent.ts probes now). */
  RESERVED: 3,
  CAPACITY: 4,
  NINODES: 5,
  ITAB: 6,
  SIDE: 7,
  DATA: 8,
  DATA_SIZE: 9,
  /** Next never-used inode number. */
  HWM: 10,
  /** Head of the free inode list (linked through Inode.NEXT_FREE). */
  IFREE: 11,
  IUSED: 12,
  FREE_BYTES: 13,
  /** Bit k set iff the free list of order k is non-empty. */
  FREE_MASK: 14,
  DEV: 15,
  MAX_ORDER: 16,
  /** Undo journal: entries in use, overflow flag (set when a segment logged more than JCAP). */
  JLEN: 17,
  JOVERFLOW: 18,
  JOURNAL: 19,
  JCAP: 20,
  /** Free list heads, one per order (MAX_ORDERS words). */
  HEADS: 32,
} as const;

export const INODE_WORDS = 32;
const INODE_BYTES = INODE_WORDS * 4;

/** Inode record word offsets. */
export const Inode = {
  TYPE: 0, // 0 free, else a Filetype (DIRECTORY, REGULAR_FILE, SYMBOLIC_LINK)
  NLINK: 1,
  OPEN: 2, // open handles (all threads)
  GEN: 3, // bumped when the inode is freed; part of handles
  SIZE_LO: 4,
  SIZE_HI: 5,
  ATIM: 6, // lo, hi (ns since the epoch, two's complement 64-bit)
  MTIM: 8,
  CTIM: 10,
  /** File: direct data block (MAPCAP 0) or chunk map block. Dir: entry block. Symlink: target bytes. */
  DATA: 12,
  /** File: capacity of the chunk map in entries; 0 = direct mode (size <= CHUNK, data in one block). */
  MAPCAP: 13,
  NEXT_FREE: 14,
  /** Directory fields. */
  D_USED: 16, // bytes used in the entry block (live + dead records)
  D_DEAD: 17, // bytes of dead records
  D_LIVE: 18, // live entries
  D_HASH: 19, // hash table block (u32 slots: 0 empty, TOMB deleted, else entry offset + 1)
  D_HCAP: 20, // hash slots (power of two)
  D_HFILL: 21, // non-empty slots (live + tombstones)
  PARENT: 22,
} as const;

export const MIN_SHIFT = 6;
const MIN_BLOCK = 1 << MIN_SHIFT;
const MAX_ORDERS = 27; // 64 B << 26 = 4 GiB
export const SIZES: readonly number[] = Array.from({ length: MAX_ORDERS }, (_, k) => MIN_BLOCK * 2 ** k);
export const TAG_ALLOC = 0x40;
export const TAG_FREE = 0x80;
export const TAG_ORDER = 0x3f;

/** Files larger than one chunk store their data in CHUNK-sized blocks listed in a chunk map. */
const CHUNK_SHIFT = 16;
export const CHUNK = 1 << CHUNK_SHIFT;
export const MAX_FILE_SIZE = 2 ** 36;

const MAX_INODES = (1 << 22) - 1;
export const INO_MASK = (1 << 22) - 1;
export const GEN_SHIFT = 22;
export const GEN_MASK = 0x1ff;

export const NAME_MAX = 255;
export const SYMLINK_MAX = 4095;
/** Directory entry record: ino, hash, name length, name bytes padded to 4. */
export const ENTRY_HEADER = 12;
export const TOMB = 0xffffffff;

export const T_FREE = 0;
export const T_DIR = 3;
export const T_FILE = 4;
export const T_LINK = 7;

const JOURNAL_ENTRIES = 8192;

const DEFAULT_CAPACITY = 256 * 1024 * 1024;
const MIN_CAPACITY = 64 * 1024;
const MAX_CAPACITY = 0xffff0000;

export function orderFor(n: number): number {
  return n <= MIN_BLOCK ? 0 : 32 - Math.clz32(n - 1) - MIN_SHIFT;
}

export function entryBytes(nameLen: number): number {
  return ENTRY_HEADER + ((nameLen + 3) & ~3);
}

/** FNV-1a over the first n bytes of b. */
export function hashName(b: Uint8Array, start: number, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    h ^= b[start + i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function align4k(n: number): number {
  return Math.ceil(n / 4096) * 4096;
}

export interface FormatOptions {
  /** Total size of the SharedArrayBuffer in bytes (default 256 MiB; the OS commits pages lazily). */
  capacityBytes?: number | undefined;
  /** Maximum number of inodes (default capacity / 4096, at least 64). */
  maxInodes?: number | undefined;
}

/** Creates and formats a new filesystem buffer containing an empty root directory (ino 1). */
export function formatMemfs(opts: FormatOptions = {}): SharedArrayBuffer {
  const requested = opts.capacityBytes ?? DEFAULT_CAPACITY;
  if (!Number.isFinite(requested) || requested < MIN_CAPACITY || requested > MAX_CAPACITY) {
    throw new RangeError(`memfs capacity must be between ${MIN_CAPACITY} and ${MAX_CAPACITY} bytes`);
  }
  const capacity = Math.floor(requested / 4096) * 4096;
  const nInodes = Math.floor(opts.maxInodes ?? Math.min(MAX_INODES, Math.max(64, Math.floor(capacity / 4096))));
  if (!(nInodes >= 1 && nInodes <= MAX_INODES)) throw new RangeError(`memfs maxInodes must be 1..${MAX_INODES}`);
  const journal = HEADER_BYTES;
  const itab = journal + JOURNAL_ENTRIES * 8;
  const itabBytes = align4k((nInodes + 1) * INODE_BYTES);
  const rest = capacity - itab - itabBytes;
  let dataSize = Math.floor((rest * 64) / 65 / 4096) * 4096;
  let sideBytes = align4k(dataSize / MIN_BLOCK);
  while (dataSize > 0 && dataSize + sideBytes > rest) {
    dataSize -= 4096;
    sideBytes = align4k(dataSize / MIN_BLOCK);
  }
  if (dataSize < 4096) throw new RangeError('memfs capacity too small for its inode table');
  const side = itab + itabBytes;
  const data = side + sideBytes;

  const sab = new SharedArrayBuffer(capacity);
  const u32 = new Uint32Array(sab);
  const u8 = new Uint8Array(sab);
  u32[Superblock.VERSION] = VERSION;
  u32[Superblock.CAPACITY] = capacity;
  u32[Superblock.NINODES] = nInodes;
  u32[Superblock.ITAB] = itab;
  u32[Superblock.SIDE] = side;
  u32[Superblock.DATA] = data;
  u32[Superblock.DATA_SIZE] = dataSize;
  u32[Superblock.DEV] = (Math.random() * 0x100000000) >>> 0;
  u32[Superblock.JOURNAL] = journal;
  u32[Superblock.JCAP] = JOURNAL_ENTRIES;
  let maxOrder = 0;
  while (maxOrder + 1 < MAX_ORDERS && SIZES[maxOrder + 1]! <= dataSize) maxOrder++;
  u32[Superblock.MAX_ORDER] = maxOrder;

  // Carve the data region into the largest aligned power-of-two blocks, largest first.
  let rel = 0;
  let mask = 0;
  for (let k = maxOrder; k >= 0; k--) {
    const sz = SIZES[k]!;
    while (dataSize - rel >= sz) {
      const off = data + rel;
      const head = u32[Superblock.HEADS + k]!;
      u32[off >>> 2] = head;
      u32[(off >>> 2) + 1] = 0;
      if (head) u32[(head >>> 2) + 1] = off;
      u32[Superblock.HEADS + k] = off;
      u8[side + (rel >>> MIN_SHIFT)] = TAG_FREE | k;
      mask |= 1 << k;
      rel += sz;
    }
  }
  u32[Superblock.FREE_MASK] = mask >>> 0;
  u32[Superblock.FREE_BYTES] = dataSize;

  // Root directory.
  const r = (itab >>> 2) + 1 * INODE_WORDS;
  u32[r + Inode.TYPE] = T_DIR;
  u32[r + Inode.NLINK] = 2;
  u32[r + Inode.PARENT] = 1;
  const ns = Math.round(Date.now() * 1e6);
  const hi = Math.floor(ns / 4294967296);
  for (const f of [Inode.ATIM, Inode.MTIM, Inode.CTIM]) {
    u32[r + f] = ns - hi * 4294967296;
    u32[r + f + 1] = hi;
  }
  u32[Superblock.HWM] = 2;
  u32[Superblock.IUSED] = 1;
  Atomics.store(u32, Superblock.MAGIC, MAGIC);
  return sab;
}
