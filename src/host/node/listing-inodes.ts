/**
 * Inode numbers and types of the entries of settled directories, so that listing one again needs no lstat
 * per entry (Node's readdir gives no inode numbers; exact d_ino otherwise costs an lstat per entry).
 *
 * Why a cached answer is exact: an entry's inode (and type, a property of the inode) changes only when its
 * name is linked anew (create, unlink, rename over it), and each of those sets the directory's ctime and
 * mtime to the current time. A listing is remembered only when the directory's ctime was already more than
 * SETTLE_NS in the past when the listing started (git's "racily clean" rule): any change after that gets a
 * ctime at least "start - the filesystem's timestamp granularity", so it differs from the remembered one
 * as long as the granularity is below SETTLE_NS. A later listing uses the entries only if the directory
 * still has the same dev, ino, ctime, mtime, size and nlink (one fstat, which the listing makes anyway).
 *
 * Only for local filesystems of known kinds (statfs type): a network filesystem's times come from another
 * clock. What remains outside the rule: the wall clock stepped back so that a change lands on the very
 * nanosecond of the remembered ctime (with a 1-tick granularity: the same tick).
 */
import type * as Fs from 'node:fs';
import { fs } from './builtins.js';

/** How long a directory must have been left unchanged (ctime) before its listing is remembered. */
const SETTLE_NS = 3_000_000_000n;
/**
 * Most entries remembered per thread (directories evicted oldest first): ~90 bytes each, so ~2 MB a thread
 * at most (each thread of a process keeps its own record).
 */
const MAX_ENTRIES = 20_000;

/** Linux statfs f_type of local filesystems whose ctimes come from this machine's clock. */
const LOCAL_FS = new Set([
  0xef53, // ext2/3/4
  0x01021994, // tmpfs
  0x858458f6, // ramfs
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x794c7630, // overlayfs
  0xf2f52010, // f2fs
  0x2fc12fc1, // zfs
  0xca451a4e, // bcachefs
]);

export interface KnownEntry {
  ino: bigint;
  filetype: number;
}

interface Listing {
  key: string;
  ctimeNs: bigint;
  mtimeNs: bigint;
  size: bigint;
  nlink: bigint;
  entries: Map<string, KnownEntry>;
}

function keyOf(st: Fs.BigIntStats): string {
  return `${st.dev}:${st.ino}`;
}

export class ListingInodes {
  private readonly listings = new Map<string, Listing>();
  private total = 0;

  /** The remembered entries of the directory `self` (its fstat now), if it is unchanged since. */
  lookup(self: Fs.BigIntStats): Map<string, KnownEntry> | undefined {
    const l = this.listings.get(keyOf(self));
    if (l === undefined) return undefined;
    if (l.ctimeNs === self.ctimeNs && l.mtimeNs === self.mtimeNs && l.size === self.size && l.nlink === self.nlink) return l.entries;
    this.forget(l);
    return undefined;
  }

  /**
   * Whether a listing of `self` that starts now may be remembered: a settled directory on a local filesystem
   * (`dir` names it, for statfs). `startMs`: Date.now() taken before the fstat that gave `self`.
   */
  settled(self: Fs.BigIntStats, dir: string, startMs: number): boolean {
    if (process.platform !== 'linux') return false;
    const startNs = BigInt(startMs) * 1_000_000n;
    if (self.ctimeNs >= startNs - SETTLE_NS) return false;
    try {
      return LOCAL_FS.has(Number(fs.statfsSync(dir).type));
    } catch {
      return false;
    }
  }

  /** Remembers the entries of a listing of `self` that settled() allowed. */
  remember(self: Fs.BigIntStats, entries: Map<string, KnownEntry>): void {
    if (entries.size > MAX_ENTRIES) return;
    const key = keyOf(self);
    const old = this.listings.get(key);
    if (old) this.forget(old);
    for (const l of this.listings.values()) {
      if (this.total + entries.size <= MAX_ENTRIES) break;
      this.forget(l);
    }
    this.listings.set(key, { key, ctimeNs: self.ctimeNs, mtimeNs: self.mtimeNs, size: self.size, nlink: self.nlink, entries });
    this.total += entries.size;
  }

  private forget(l: Listing): void {
    this.listings.delete(l.key);
    this.total -= l.entries.size;
  }
}
