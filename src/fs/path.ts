/**
 * Small helpers for backend-relative paths: '/'-separated, no leading '/', no '.', '..' or empty
 * components, '' = the backend root. Platform-neutral (no node: imports).
 */

/** Join a backend-relative directory path and one component. */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Parent of a backend-relative path ('' for top-level entries and for the root itself). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Components of a backend-relative path ([] for the root). */
export function splitPath(path: string): string[] {
  return path === '' ? [] : path.split('/');
}

/**
 * True when `path` has the canonical backend-relative shape (the `path` resolve() returns): no leading or
 * trailing '/', no empty, '.' or '..' components, no NUL.
 */
export function isCanonicalPath(path: string): boolean {
  // A scan, not split(): every host call checks its path here.
  const n = path.length;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 47; /* '/' ends the last component */
    if (c === 0) return false;
    if (c !== 47) continue;
    const len = i - start;
    if (n > 0 && (len === 0 || (path.charCodeAt(start) === 46 /* . */ && (len === 1 || (len === 2 && path.charCodeAt(start + 1) === 46))))) return false;
    start = i + 1;
  }
  return true;
}

/** Normalises an absolute guest path: resolves '.' and '..' lexically ('..' stops at '/'). */
export function normalizeAbsolute(path: string): string {
  const out: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return '/' + out.join('/');
}

/** True when a preopen's guest name is the root ('/', or a spelling of it such as '' or '/./'). */
export function isRootMount(guestPath: string): boolean {
  return normalizeAbsolute('/' + guestPath) === '/';
}

/**
 * Which mount (preopen) an absolute, normalised guest path lies in, and the backend-relative path inside
 * it: the longest matching guest name wins. Undefined when no mount holds the path.
 */
export function locateMount(
  mounts: readonly { guestPath: string }[],
  abs: string,
): { index: number; rel: string } | undefined {
  let best: { index: number; rel: string; len: number } | undefined;
  mounts.forEach((p, index) => {
    const root = normalizeAbsolute('/' + p.guestPath);
    const prefix = root === '/' ? '/' : root + '/';
    if (abs !== root && !abs.startsWith(prefix)) return;
    if (best && best.len >= root.length) return;
    best = { index, rel: abs === root ? '' : abs.slice(prefix.length), len: root.length };
  });
  return best && { index: best.index, rel: best.rel };
}
