import { Superblock, Inode, T_FILE, T_FREE } from './layout.js';
import { DirectoryIndex } from './dir-index.js';

/**
 * Low-level access to a formatted filesystem buffer, in layers, each in a file of its own:
 *   journal.ts     views and geometry, the mutex and the undo journal (set(), checkpoint(), rollback())
 *   allocator.ts   the buddy allocator of the data region
 *   inodes.ts      inode records: allocation, free list, timestamps, sizes
 *   file-data.ts   file contents (a direct block or a chunk map)
 *   dir-index.ts   directory entries and their hash tables
 * The layers are stacked by inheritance so callers hold one object (one hidden class for V8 on the hot
 * paths). Every method except lock/unlock/recover expects the caller to hold the lock. Structure words
 * are written through set() (journaled); see layout.ts.
 */
export class Store extends DirectoryIndex {
  /**
   * Releases a lock left held by a thread that died inside an operation (a terminated Worker): rolls
   * the structure back to its last checkpoint, frees inodes that were half-deleted, restores the
   * "zero past EOF" invariant, and unlocks. Only call this when no live thread can be inside an
   * operation on this filesystem (e.g. after every worker using it was terminated). Returns whether
   * anything had to be recovered; run fsck() afterwards to check the result.
   */
  recover(): boolean {
    if (!this.rollback()) return false;
    const u32 = this.u32;
    const hwm = u32[Superblock.HWM]!;
    for (let ino = 2; ino < hwm; ino++) {
      const r = this.rec(ino);
      const type = u32[r + Inode.TYPE];
      if (type === T_FREE) continue;
      if (u32[r + Inode.NLINK] === 0 && u32[r + Inode.OPEN] === 0) this.freeInode(ino);
      else if (type === T_FILE) this.zeroTail(r);
    }
    this.unlock();
    Atomics.notify(this.i32, Superblock.LOCK);
    return true;
  }
}
