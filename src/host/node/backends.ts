import type { BackendDescriptor, FsBackend } from '../../fs/backend.js';
import { HostFsBackend } from './hostfs.js';
import { MemoryFsBackend } from '../../fs/memfs/backend.js';
import { DevFs } from '../../fs/devfs.js';

/** Rebuilds a filesystem backend from its descriptor inside a Node thread. */
export function openNodeBackend(d: BackendDescriptor): FsBackend {
  if (d.kind === 'host') return new HostFsBackend(d);
  if (d.kind === 'memory') return new MemoryFsBackend(d);
  if (d.kind === 'dev') return new DevFs(d); // the coordinator's copy (threads build theirs in the kernel)
  throw new Error(`unknown filesystem backend '${(d as { kind: string }).kind}'`);
}
