import type { BackendDescriptor } from '../backend.js';
import { Superblock } from './layout.js';
import { MemoryFsBackend } from './backend.js';

/** The distinct in-memory filesystems among a process's preopens whose lock is held right now. */
export function lockedMemoryFilesystems(descriptors: readonly BackendDescriptor[]): SharedArrayBuffer[] {
  const out: SharedArrayBuffer[] = [];
  for (const d of descriptors) {
    if (d.kind !== 'memory' || out.includes(d.sab)) continue;
    if (Atomics.load(new Int32Array(d.sab, 0, Superblock.LOCK + 1), Superblock.LOCK) !== 0) out.push(d.sab);
  }
  return out;
}

/**
 * A thread terminated inside an in-memory filesystem operation leaves that filesystem's lock held: roll
 * such an operation back (Store.recover). Both hosts call this once every worker of the process is gone;
 * a filesystem shared with another process that is still running must not be recovered. Returns how
 * many filesystems needed it.
 */
export function recoverMemoryFilesystems(descriptors: readonly BackendDescriptor[]): number {
  let n = 0;
  for (const sab of lockedMemoryFilesystems(descriptors)) {
    if (new MemoryFsBackend({ kind: 'memory', sab, root: '/', readOnly: false }, { canBlock: false }).recover()) n++;
  }
  return n;
}
