import type { BackendDescriptor, FsBackend } from '../../fs/backend.js';
import { HostFsBackend } from '../../fs/hostfs.js';

/** Rebuilds a filesystem backend from its descriptor inside a Node thread. */
export function openNodeBackend(d: BackendDescriptor): FsBackend {
  if (d.kind === 'host') return new HostFsBackend(d);
  throw new Error(`filesystem backend '${d.kind}' is not available yet`);
}
