import type { BackendDescriptor, FsBackend } from '../../fs/backend.js';
import { MemoryFsBackend } from '../../fs/memfs/backend.js';

/** Rebuilds a filesystem backend from its descriptor in a browser thread (page or worker). */
export function openBrowserBackend(d: BackendDescriptor): FsBackend {
  if (d.kind === 'memory') return new MemoryFsBackend(d);
  throw new Error(`weft/browser: filesystem backend '${d.kind}' is not available in browsers (use MemoryFS.dir())`);
}
