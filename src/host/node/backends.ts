import type { BackendDescriptor, FsBackend } from '../../fs/backend.js';
import { HostFsBackend } from '../../fs/hostfs.js';
import { MemoryFsBackend } from '../../fs/memfs.js';

/** Rebuilds a filesystem backend from its descriptor inside a Node thread. */
export function openNodeBackend(d: BackendDescriptor): FsBackend {
  if (d.kind === 'host') return new HostFsBackend(d);
  if (d.kind === 'memory') return new MemoryFsBackend(d);
  throw new Error(`unknown filesystem backend '${(d as { kind: string }).kind}'`);
}

/**
 * A thread terminated inside an in-memory filesystem operation leaves that filesystem's lock held: roll
 * such an operation back once every worker of the process is gone (terminate() has resolved).
 */
export function recoverMemoryFilesystems(descriptors: BackendDescriptor[]): void {
  const seen = new Set<SharedArrayBuffer>();
  for (const d of descriptors) {
    if (d.kind !== 'memory' || seen.has(d.sab)) continue;
    seen.add(d.sab);
    new MemoryFsBackend(d, { canBlock: false }).recover();
  }
}
