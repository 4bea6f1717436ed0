/**
 * V8 code caches of weft's own bundles kept on disk between runs, so a `weft run` does not parse and compile
 * the CLI bundle (~500 KB: ~18 ms) nor its first Worker the worker bundle (~350 KB: 12-14 ms) again.
 * Node 20 has no compile cache for ES modules; these bundles are CommonJS functions compiled by vm.Script.
 *
 * Where: $WEFT_CODE_CACHE (a directory; `0` or `off`: none), else $XDG_CACHE_HOME/weft, else ~/.cache/weft.
 * A code cache is code: V8 checks its version, flags and checksum but not who wrote it, so the directory is
 * used only if it is this user's and no one else may write to it (created 0700), and files are written
 * whole (a temporary file renamed). A file names its bundle's size and mtime and Node's version: another
 * build or Node gets another file (several installs of weft on one machine each keep theirs; beyond
 * MAX_FILES of a kind, the oldest written are removed when a new one is written);
 * V8 rejects a cache that does not fit, and the bundle then compiles as without one.
 */
import { builtin, fs, path } from './builtins.js';

let dir: string | null | undefined;

/** The cache directory, or null when there is none fit to use. */
export function codeCacheDir(): string | null {
  if (dir !== undefined) return dir;
  dir = null;
  const env = process.env.WEFT_CODE_CACHE;
  if (env === '0' || env === 'off') return dir;
  try {
    const d = env || path.join(process.env.XDG_CACHE_HOME || path.join(builtin('os').homedir(), '.cache'), 'weft');
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(d);
    const uid = process.getuid?.();
    if (st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0) dir = d;
  } catch {
    // no home, read-only: no cache
  }
  return dir;
}

/** A bundle's cache file: `<dir>/<kind>-<node version>-<arch>-<size>-<mtime>.v8cache`. */
export interface CacheFile {
  path: string;
  kind: string;
}

export function cacheFileFor(kind: string, bundle: string): CacheFile | null {
  const d = codeCacheDir();
  if (d === null) return null;
  try {
    const st = fs.statSync(bundle);
    return { kind, path: path.join(d, `${kind}-${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}.v8cache`) };
  } catch {
    return null;
  }
}

export function readCache(f: CacheFile | null): Buffer | undefined {
  if (f === null) return undefined;
  try {
    return fs.readFileSync(f.path);
  } catch {
    return undefined;
  }
}

/** Caches kept per kind: one per weft install and Node version in use, the oldest written removed beyond it. */
const MAX_FILES = 8;

/** Writes a cache whole (temporary file + rename), then removes the oldest of its kind beyond MAX_FILES; errors ignored. */
export function writeCache(f: CacheFile | null, data: Uint8Array): void {
  if (f === null || data.length === 0) return;
  const tmp = `${f.path}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, f.path);
    const d = path.dirname(f.path);
    const mine = fs.readdirSync(d)
      .filter((n) => n.startsWith(`${f.kind}-`) && n.endsWith('.v8cache'))
      .map((n) => ({ n, t: fs.statSync(path.join(d, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
      .sort((a, b) => b.t - a.t);
    for (const { n } of mine.slice(MAX_FILES)) fs.rmSync(path.join(d, n), { force: true });
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

export function removeCache(f: CacheFile | null): void {
  if (f !== null) fs.rmSync(f.path, { force: true });
}

/**
 * Loads a CommonJS function bundle (`(function (require, url, module) {...})`, see tools/bundle.mjs) with its
 * cached code: its exports, and save(), which writes a new cache (with every function compiled so far) if
 * there was none or V8 refused it. Stack frames name the bundle by its file URL, as an ES module's would.
 */
export function loadBundle<T>(kind: string, url: URL): { exports: T; save: () => void } {
  const file = builtin('url').fileURLToPath(url);
  const f = cacheFileFor(kind, file);
  const cachedData = readCache(f);
  const script = new (builtin('vm').Script)(fs.readFileSync(file, 'latin1'), { filename: url.href, cachedData });
  const fresh = cachedData === undefined || script.cachedDataRejected === true;
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)(builtin('module').createRequire(file), url.href, module);
  return {
    exports: module.exports,
    save: () => {
      if (fresh) writeCache(f, script.createCachedData());
    },
  };
}
