import { Errno, WasiError } from '../../abi/errno.js';
import type { BackendDescriptor, FsBackend } from '../../fs/backend.js';

/** Rebuilds a filesystem backend from its descriptor inside a Node thread. */
export function openNodeBackend(d: BackendDescriptor): FsBackend {
  throw new WasiError(Errno.NOSYS, `backend ${d.kind} not available yet`);
}
