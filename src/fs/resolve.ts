/**
 * The sandboxed path resolver used by every path_* syscall. Backend-agnostic (only lstat/readlink of
 * an FsBackend are used, no node: imports), so it runs unchanged in browsers.
 *
 * The guest hands us (dirfd, path). The kernel knows the dirfd's backend-relative directory (`base`,
 * '' = the preopen root) and we walk `path` one component at a time, so every intermediate
 * component the backend ever sees is a real directory inside the sandbox (see fs/backend.ts).
 *
 * Errno choices (we follow Wasmtime, whose preview1 implementation sits on cap-std):
 *  - Escaping the sandbox — a '..' above the boundary, an absolute guest path ('/x'), or a symlink
 *    whose target is absolute — fails with EPERM (63), not ENOTCAPABLE (76).
 *    Evidence: wasmtime crates/test-programs/src/bin/preview1_interesting_paths.rs asserts ERRNO_PERM
 *    both for path_open(fd, "/dir/nested/file") and for "dir/nested/../../../<x>/dir/nested/file";
 *    wasmtime PR #4666 ("Stop returning NOTCAPABLE errors from WASI calls") removed ENOTCAPABLE;
 *    cap-std's escape_attempt() is io::ErrorKind::PermissionDenied ("a path led outside of the
 *    filesystem"); the wasi-filesystem spec (path-resolution.md, wasi:filesystem/types docs) says a
 *    path that starts with '/', or whose '..' / symlink steps leave the base directory, or that
 *    reaches a symlink to an absolute path, fails with error-code::not-permitted (= EPERM).
 *  - The boundary is the *base directory* (the dirfd the guest passed), as in cap-std/wasi-filesystem
 *    where every directory descriptor is its own sandbox.
 *  - Empty path => ENOENT (POSIX open("") and openat(fd, "") without AT_EMPTY_PATH; what cap-std
 *    gets from the host).
 *  - Symlink expansions: more than 40 (MAXSYMLINKS on Linux, cap-std's MAX_SYMLINK_EXPANSIONS) => ELOOP
 *    (wasmtime preview1_symlink_loop expects ERRNO_LOOP for a self-referencing link).
 *  - Non-directory intermediate => ENOTDIR; missing intermediate => ENOENT; a trailing slash on an
 *    existing non-directory => ENOTDIR (preview1_interesting_paths: "dir/nested/file/" => NOTDIR).
 *    A symlink with an empty target => ENOENT (Linux).
 *  - Guest path bytes (decodeGuestPath): invalid UTF-8 => EILSEQ (wasi-common maps
 *    GuestError::InvalidUtf8 to Errno::Ilseq); an embedded NUL => EINVAL (preview1_interesting_paths:
 *    "dir/nested/file\0" => ERRNO_INVAL on unix). UTF-8 is checked first, as in Wasmtime, where the
 *    string is decoded before the host ever sees it.
 */
import type { FsBackend, Stat } from './backend.js';
import { Errno, WasiError } from '../abi/errno.js';
import { Filetype } from '../abi/constants.js';
import { joinPath } from './path.js';

/** Errno for any attempt to leave the sandbox (Wasmtime: EPERM; see above). */
export const ESCAPE_ERRNO: number = Errno.PERM;
/** Maximum symlink expansions in one resolution (Linux MAXSYMLINKS, cap-std MAX_SYMLINK_EXPANSIONS). */
export const MAX_SYMLINK_EXPANSIONS = 40;

/** The part of a backend the resolver needs. */
export type LookupBackend = Pick<FsBackend, 'lstat' | 'readlink' | 'lstatIfExists' | 'lstatType' | 'verifiedDir' | 'beginLookup'>;

export interface ResolveOptions {
  /**
   * The preopen is mounted at the guest's '/': an absolute path (or absolute symlink target) names a
   * path from the backend root instead of escaping, and '..' at that root stays there (POSIX '/..').
   * Relative paths keep the boundary rule ('..' and relative symlink targets stay inside `base`).
   */
  rootMount?: boolean;
  /** The result will be opened or changed (created, removed...) next, not only looked at (FsBackend.verifiedDir). */
  forUse?: boolean;
  /**
   * The caller acts on the final name itself with a host call that does not follow it and reports what
   * lstat would have told (mkdir: EEXIST; rmdir: ENOENT, ENOTDIR; unlink: ENOENT, EISDIR; readlink: ENOENT, EINVAL): when the final
   * component is a plain name (not '.' or '..', no trailing slash), it is not looked up, and the result is
   * `unchecked`. Only for lookups that do not follow the final component.
   */
  skipFinal?: boolean;
  /** The caller needs the final component's type only (Resolved.type), not its Stat (`stat` is then null). */
  typeOnly?: boolean;
}

export interface Resolved {
  /** Backend-relative canonical path ('' = root). */
  path: string;
  /**
   * lstat of `path` (a symlink only when the final component was not followed), or null when the
   * final component does not exist (the caller may create it).
   */
  stat: Stat | null;
  /** The final component's Filetype (after following, as `stat`), null when it does not exist or is `unchecked`. */
  type: number | null;
  /** The final component (after symlink expansion) was written with a trailing '/'. */
  trailingSlash: boolean;
  /** The last component walked was '.' or '..' (rmdir/unlink/rename callers reject those). */
  endsInDot: boolean;
  /**
   * ResolveOptions.skipFinal took effect: `path` is a plain name in a directory resolved as usual, but the
   * name itself was not looked up (`stat` is null whether or not it exists).
   */
  unchecked: boolean;
}

function errnoOf(e: unknown): number | undefined {
  return e instanceof WasiError ? e.errno : undefined;
}

/**
 * Walk `guestPath` from `base` (see the errno table at the top of the file). Returns details the
 * kernel can use to avoid a second lstat.
 */
export function resolve(
  backend: LookupBackend,
  base: string,
  guestPath: string,
  followFinal: boolean,
  opts: ResolveOptions = {},
): Resolved {
  if (guestPath === '') throw new WasiError(Errno.NOENT, 'empty path');
  if (guestPath.includes('\0')) throw new WasiError(Errno.INVAL, 'NUL in path');
  const rootMount = opts.rootMount === true;
  const skipFinal = opts.skipFinal === true && !followFinal;
  const typeOnly = opts.typeOnly === true;
  const lstatType = backend.lstatType;
  if (guestPath.startsWith('/') && !rootMount) throw new WasiError(ESCAPE_ERRNO, `absolute path ${guestPath}`);

  let cur: string[] = base === '' || guestPath.startsWith('/') ? [] : base.split('/');
  // cur.join('/') while known (the fast path and each step down set it; '..' forgets it)
  let curPath: string | undefined = cur.length === 0 ? '' : base;
  // How far '..' may climb: the base directory (Wasmtime/cap-std and the wasi-filesystem spec).
  let floor = cur.length;
  // Once the walk has restarted at the mount's root, '..' there is '/..' = '/' rather than an escape.
  let rooted = guestPath.startsWith('/');
  // Pending components, next one last (a stack, so symlink targets can be pushed in front).
  let pending: string[] | undefined;
  let trailingSlash = guestPath.endsWith('/');
  let expansions = 0;
  let endsInDot = false;
  backend.beginLookup?.();
  // Fast path: the intermediates of the path form a directory the backend vouches for (FsBackend.verifiedDir):
  // start at the final component. The rules below are unchanged for it. A path with '.', '..' or empty
  // components before the final one is not canonical, so no backend vouches for it (it is walked). String
  // operations only: deep paths are the common case (napi-rs loaders).
  if (backend.verifiedDir !== undefined) {
    let end = guestPath.length;
    while (end > 0 && guestPath.charCodeAt(end - 1) === 47 /* / */) end--;
    const start = guestPath.charCodeAt(0) === 47 ? 1 : 0; // a rooted path (rootMount: checked above); cur = []
    const cut = guestPath.lastIndexOf('/', end - 1);
    if (cut > start) {
      const rel = guestPath.slice(start, cut);
      const name = guestPath.slice(cut + 1, end);
      if (name !== '.' && name !== '..') {
        const dir = cur.length === 0 ? rel : `${curPath ??= cur.join('/')}/${rel}`;
        if (backend.verifiedDir(dir, opts.forUse === true)) {
          cur = dir.split('/');
          curPath = dir;
          pending = [name];
        }
      }
    }
  }
  pending ??= guestPath.indexOf('/') < 0 ? [guestPath] : guestPath.split('/').filter((c) => c !== '').reverse();
  while (pending.length > 0) {
    const name = pending.pop()!;
    const isLast = pending.length === 0;
    if (name === '.') {
      endsInDot = isLast;
      continue;
    }
    if (name === '..') {
      if (cur.length === 0 && rooted) {
        endsInDot = isLast;
        continue;
      }
      if (cur.length <= floor) throw new WasiError(ESCAPE_ERRNO, `path escapes the sandbox: ${guestPath}`);
      cur.pop();
      curPath = undefined;
      endsInDot = isLast;
      continue;
    }
    endsInDot = false;
    const candidate = joinPath(curPath ??= cur.join('/'), name);
    if (isLast && skipFinal && !trailingSlash) return { path: candidate, stat: null, type: null, trailingSlash, endsInDot, unchecked: true };
    // Only the type matters for an intermediate component, and for the final one unless the caller wants
    // its Stat: the backend's cheaper lstatType() then (FsBackend.lstatType; -1 = missing).
    let st: Stat | null = null;
    let type: number;
    if (lstatType !== undefined && (!isLast || typeOnly)) {
      type = lstatType.call(backend, candidate);
    } else {
      try {
        st = backend.lstatIfExists ? backend.lstatIfExists(candidate) : backend.lstat(candidate);
      } catch (e) {
        if (errnoOf(e) !== Errno.NOENT) throw e;
        st = null;
      }
      type = st === null ? -1 : st.filetype;
    }
    if (type < 0) {
      if (isLast) return { path: candidate, stat: null, type: null, trailingSlash, endsInDot, unchecked: false };
      throw new WasiError(Errno.NOENT, `no such file or directory: ${candidate}`);
    }
    if (type === Filetype.SYMBOLIC_LINK && (!isLast || followFinal || trailingSlash)) {
      if (++expansions > MAX_SYMLINK_EXPANSIONS) throw new WasiError(Errno.LOOP, `too many symlinks: ${guestPath}`);
      const target = backend.readlink(candidate);
      if (target === '') throw new WasiError(Errno.NOENT, `empty symlink ${candidate}`);
      if (target.includes('\0')) throw new WasiError(Errno.INVAL, `NUL in symlink ${candidate}`);
      if (target.startsWith('/')) {
        if (!rootMount) throw new WasiError(ESCAPE_ERRNO, `absolute symlink ${candidate} -> ${target}`);
        cur = [];
        curPath = '';
        floor = 0;
        rooted = true;
      }
      // A trailing slash in the target of the final link means the result must be a directory.
      if (isLast && target.endsWith('/')) trailingSlash = true;
      const parts = target.split('/');
      for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== '') pending.push(parts[i]!);
      continue; // relative to the link's directory, which is `cur`
    }
    if (type !== Filetype.DIRECTORY && (!isLast || trailingSlash)) {
      throw new WasiError(Errno.NOTDIR, `not a directory: ${candidate}`);
    }
    cur.push(name);
    curPath = candidate;
    if (isLast) return { path: candidate, stat: st, type, trailingSlash, endsInDot, unchecked: false };
  }
  // The walk ended on '.' or '..' (or the path was only slashes and dots): the result is a directory
  // we already know exists; lstat it anyway so `stat` is always filled for existing targets.
  const path = cur.join('/');
  const st = backend.lstat(path);
  return { path, stat: typeOnly ? null : st, type: st.filetype, trailingSlash, endsInDot, unchecked: false };
}

let utf8: TextDecoder | undefined;

/**
 * Decode a guest path read from wasm memory. Invalid UTF-8 => EILSEQ, NUL => EINVAL (Wasmtime's
 * choices, see the top of this file). Works on views of shared memory (copied first, since browsers'
 * TextDecoder rejects SharedArrayBuffer views).
 */
export function decodeGuestPath(bytes: Uint8Array): string {
  // Most paths are short and ASCII: built here, without copying shared memory or calling the decoder
  // (a fatal TextDecoder costs microseconds per call on Node 20, and more until it is warm).
  const n = bytes.length;
  if (n <= 256) {
    let s = '';
    let i = 0;
    for (; i < n; i++) {
      const b = bytes[i]!;
      if (b === 0 || b > 0x7f) break;
      s += String.fromCharCode(b);
    }
    if (i === n) return s;
  }
  utf8 ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const src =
    typeof SharedArrayBuffer !== 'undefined' && bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes;
  let s: string;
  try {
    s = utf8.decode(src);
  } catch {
    throw new WasiError(Errno.ILSEQ, 'path is not valid UTF-8');
  }
  if (s.includes('\0')) throw new WasiError(Errno.INVAL, 'NUL in path');
  return s;
}
