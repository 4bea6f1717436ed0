/**
 * The public face of the shared in-memory filesystem: MemoryFS, for seeding and inspecting files from the
 * embedding program (Node or browser), and the names the package exports. The filesystem itself (the
 * FsBackend every thread builds over the shared buffer) is memfs/backend.ts; its layout, memfs/layout.ts.
 */
import { Filetype } from '../abi/constants.js';
import { Errno, WasiError } from '../abi/errno.js';
import type { OpenOptions, Stat } from './backend.js';
import { type FsckReport } from './memfs/fsck.js';
import { type FormatOptions, formatMemfs } from './memfs/layout.js';
import { MemoryFsBackend, type MemfsUsage, type MemoryDescriptor } from './memfs/backend.js';

export type { FsckReport } from './memfs/fsck.js';
export { formatMemfs, type FormatOptions } from './memfs/layout.js';
export { MemoryFsBackend, type MemoryBackendOptions, type MemfsUsage, type MemoryDescriptor } from './memfs/backend.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Size of a new MemoryFS (capacity, inodes). */
export type MemoryFSOptions = FormatOptions;

/**
 * A shared in-memory filesystem, for seeding and inspecting files from the embedding program. Paths
 * are absolute within the filesystem; symlinks are followed (except by unlink, lstat, readlink).
 * Pass `fs.dir('/some/dir')` to the runtime as a preopen; threads attach through the descriptor.
 */
export class MemoryFS {
  private readonly b: MemoryFsBackend;

  /** `files` maps absolute paths to contents (null = directory); parent directories are created. */
  constructor(files?: Record<string, string | Uint8Array | null>, options?: MemoryFSOptions);
  /** Attaches to an existing filesystem buffer (e.g. in a worker). */
  constructor(sab: SharedArrayBuffer);
  constructor(files?: Record<string, string | Uint8Array | null> | SharedArrayBuffer, options: MemoryFSOptions = {}) {
    const sab = files instanceof SharedArrayBuffer ? files : formatMemfs(options);
    this.b = new MemoryFsBackend({ kind: 'memory', sab, root: '/', readOnly: false });
    if (files && !(files instanceof SharedArrayBuffer)) {
      for (const [path, content] of Object.entries(files)) {
        if (content === null) {
          this.mkdir(path, { recursive: true });
        } else {
          const parent = normalize(path).slice(0, -1);
          if (parent.length) this.mkdir('/' + parent.join('/'), { recursive: true });
          this.writeFile(path, content);
        }
      }
    }
  }

  static fromSab(sab: SharedArrayBuffer): MemoryFS {
    return new MemoryFS(sab);
  }

  get sab(): SharedArrayBuffer {
    return this.b.s.sab;
  }

  /** The descriptor for a preopen rooted at `path` (a directory; symlinks in it are resolved now). */
  dir(path = '/', options: { readOnly?: boolean } = {}): MemoryDescriptor {
    const p = this.real(path, true);
    if (this.b.lstat(p).filetype !== Filetype.DIRECTORY) throw new WasiError(Errno.NOTDIR);
    return { kind: 'memory', sab: this.sab, root: '/' + p, readOnly: !!options.readOnly };
  }

  /** A backend over the whole filesystem (root '/'). */
  backend(options: { readOnly?: boolean } = {}): MemoryFsBackend {
    return new MemoryFsBackend(this.dir('/', options));
  }

  readFile(path: string): Uint8Array {
    const h = this.b.open(this.real(path, true), OPEN_READ);
    try {
      const size = Number(this.b.fstat(h).size);
      const out = new Uint8Array(size);
      let n = 0;
      while (n < size) {
        const got = this.b.pread(h, out.subarray(n), n);
        if (got === 0) break;
        n += got;
      }
      return n === size ? out : out.slice(0, n);
    } finally {
      this.b.close(h);
    }
  }

  readText(path: string): string {
    return dec.decode(this.readFile(path));
  }

  writeFile(path: string, data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? enc.encode(data) : data;
    const h = this.b.open(this.real(path, true), OPEN_WRITE);
    try {
      let n = 0;
      while (n < bytes.length) n += this.b.pwrite(h, bytes.subarray(n), n);
    } finally {
      this.b.close(h);
    }
  }

  appendFile(path: string, data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? enc.encode(data) : data;
    const h = this.b.open(this.real(path, true), { ...OPEN_WRITE, truncate: false });
    try {
      this.b.pwrite(h, bytes, 'append');
    } finally {
      this.b.close(h);
    }
  }

  mkdir(path: string, options: { recursive?: boolean } = {}): void {
    if (!options.recursive) return this.b.mkdir(this.real(path, false));
    const comps = normalize(path);
    for (let i = 1; i <= comps.length; i++) {
      const p = this.real('/' + comps.slice(0, i).join('/'), true);
      try {
        this.b.mkdir(p);
      } catch (e) {
        if (!(e instanceof WasiError && e.errno === Errno.EXIST)) throw e;
        if (this.b.lstat(p).filetype !== Filetype.DIRECTORY) throw new WasiError(Errno.NOTDIR);
      }
    }
  }

  readdir(path: string): string[] {
    const h = this.b.open(this.real(path, true), OPEN_DIR);
    try {
      return this.b.readdir(h).map((e) => e.name);
    } finally {
      this.b.close(h);
    }
  }

  exists(path: string): boolean {
    try {
      this.b.lstat(this.real(path, true));
      return true;
    } catch (e) {
      if (e instanceof WasiError) return false;
      throw e;
    }
  }

  /** Follows symlinks. */
  stat(path: string): Stat {
    return this.b.lstat(this.real(path, true));
  }

  lstat(path: string): Stat {
    return this.b.lstat(this.real(path, false));
  }

  unlink(path: string): void {
    this.b.unlink(this.real(path, false));
  }

  rmdir(path: string): void {
    this.b.rmdir(this.real(path, false));
  }

  rename(from: string, to: string): void {
    this.b.rename(this.real(from, false), this.real(to, false));
  }

  symlink(target: string, path: string): void {
    this.b.symlink(target, this.real(path, false));
  }

  readlink(path: string): string {
    return this.b.readlink(this.real(path, false));
  }

  fsck(): FsckReport {
    return this.b.fsck();
  }

  /** See MemoryFsBackend.recover: after threads were terminated mid-operation. */
  recover(): boolean {
    return this.b.recover();
  }

  usage(): MemfsUsage {
    return this.b.usage();
  }

  /** Resolves '.', '..' and symlinks (all but a final one unless followFinal) to a root-relative path. */
  private real(path: string, followFinal: boolean): string {
    const pending = normalizeRaw(path);
    const out: string[] = [];
    let hops = 0;
    while (pending.length) {
      const c = pending.shift()!;
      if (c === '..') {
        out.pop();
        continue;
      }
      out.push(c);
      if (pending.length === 0 && !followFinal) break;
      const p = out.join('/');
      let isLink = false;
      try {
        isLink = this.b.lstat(p).filetype === Filetype.SYMBOLIC_LINK;
      } catch {
        // Missing or invalid: leave the error to the operation itself.
      }
      if (!isLink) continue;
      if (++hops > 40) throw new WasiError(Errno.LOOP);
      const target = this.b.readlink(p);
      out.pop();
      if (target.startsWith('/')) out.length = 0;
      pending.unshift(...normalizeRaw(target));
    }
    return out.join('/');
  }
}

const OPEN_READ: OpenOptions = { read: true, write: false, create: false, exclusive: false, truncate: false, directory: false, append: false };
const OPEN_WRITE: OpenOptions = { read: false, write: true, create: true, exclusive: false, truncate: true, directory: false, append: false };
const OPEN_DIR: OpenOptions = { ...OPEN_READ, directory: true };

/** Components of a path, keeping '..' (resolved by MemoryFS.real). */
function normalizeRaw(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/** Lexically normalized components of an absolute path. */
function normalize(path: string): string[] {
  const out: string[] = [];
  for (const c of normalizeRaw(path)) {
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}
