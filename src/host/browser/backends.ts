import type { BackendDescriptor, FsBackend } from '../../fs/backend.js';
import { MemoryFsBackend } from '../../fs/memfs/backend.js';
import { DevFs } from '../../fs/devfs.js';

/** Rebuilds a filesystem backend from its descriptor in a browser thread (page or worker). */
export function openBrowserBackend(d: BackendDescriptor): FsBackend {
  if (d.kind === 'memory') return new MemoryFsBackend(d);
  if (d.kind === 'dev') return new DevFs(d); // the coordinator's copy (threads build theirs in the kernel)
  throw new Error(`weft/browser: filesystem backend '${d.kind}' is not available in browsers (use MemoryFS.dir())`);
}
