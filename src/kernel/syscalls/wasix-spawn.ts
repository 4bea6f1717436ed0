import { Errno, WasiError } from '../../abi/errno.js';
import { Filetype } from '../../abi/constants.js';
import { FdFlagsExt, SignalDisposition, SpawnFdOp, SpawnFdOpName } from '../../abi/wasix.js';
import { locateMount, normalizeAbsolute } from '../../fs/path.js';
import { openProgram } from '../../fs/program-file.js';
import { decodeGuestPath, resolve } from '../../fs/resolve.js';
import { ThreadKilled } from '../exits.js';
import { releaseEntry } from '../files.js';
import type { Kernel } from '../kernel.js';
import { openPath } from '../path-open.js';
import { FdKind, FdSlot, MAX_FDS, type FdTable } from '../shared/fd-table.js';
import type { ProcRequest, ProgramAt } from '../proc-request.js';
import type { ProcTable } from '../shared/process-table.js';
import type { WasixState } from '../shared/wasix-state.js';
import { validSignal } from '../signals.js';
import { argFormatters } from '../trace.js';
import { ends, errno, type WasixTable } from './types.js';
import type { ProcessTree } from './wasix-tree.js';

const MAX_STRING = 1 << 20;

/**
 * Program files this worker has validated, by identity (fs/program-file.ts): a shell that runs the same
 * 1 MB program again skips WebAssembly.validate (~10 ms) and, as the tree compiled it then, the read.
 * Workers run one process after another (the host recycles them), so the set outlives a process; bounded.
 */
const validated = new Set<string>();
const VALIDATED_MAX = 256;

/**
 * A program to start: its file's identity, and its bytes unless the tree has compiled that file already
 * (then `at` names it, for the coordinator to read it again should its cache have dropped the Module).
 */
interface Program { bytes: Uint8Array | undefined; file: string; at: ProgramAt }

/**
 * wasix_32v1 programs: posix_spawn (proc_spawn2, with its file actions applied to the child's fd region
 * here) and exec. Reading the program and filling the child's fds run in the calling thread; compiling and
 * booting it is the coordinator's (see ./wasix-tree.ts).
 */
export function wasixSpawnSyscalls(k: Kernel, st: WasixState, tree: ProcessTree): WasixTable {
  /** A witx string (pointer, length); a trailing NUL, if the libc counted one, is dropped. */
  function str(ptr: number, len: number): string {
    if (len >>> 0 > MAX_STRING) throw new WasiError(Errno.INVAL);
    let b = k.mem.sync().bytes(ptr, len).slice();
    while (b.length > 0 && b[b.length - 1] === 0) b = b.subarray(0, b.length - 1);
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  }
  /** The '\n'-separated lists wasix-libc passes for argv and environ. */
  const list = (ptr: number, len: number): string[] => (len === 0 ? [] : str(ptr, len).split('\n').filter((s) => s !== ''));

  const absolute = (path: string, cwd: string): string => normalizeAbsolute(path.startsWith('/') ? path : cwd + '/' + path);

  /** Which preopen (and path inside it) an absolute guest path names. */
  const locate = (abs: string) => locateMount(k.cfg.preopens, abs);

  /** Program files the tree had compiled when this process started (see KernelConfig.proc). */
  const compiled = new Set(k.cfg.proc?.programs ?? []);

  /**
   * Finds a program file in the process's filesystem view and identifies it; reads it (and checks it is a
   * wasm module) unless this worker validated it or the tree compiled it: a file whose identity is known
   * was a valid module, and any change to it changes its identity.
   */
  function readProgram(abs: string): Program {
    const at = locate(abs);
    if (!at) throw new WasiError(Errno.NOENT);
    const be = k.backend(at.index);
    const r = at.rel === '' ? { path: '', stat: be.lstat('') } : resolve(be, '', at.rel, true);
    if (!r.stat) throw new WasiError(Errno.NOENT);
    if (r.stat.filetype === Filetype.DIRECTORY) throw new WasiError(Errno.ACCES);
    const p = openProgram(be, r.path, at.index, (file) => !validated.has(file) && !compiled.has(file));
    if (p.bytes) {
      if (!WebAssembly.validate(p.bytes)) throw new WasiError(Errno.NOEXEC);
      if (validated.size >= VALIDATED_MAX) validated.clear();
      validated.add(p.file);
    }
    return { ...p, at: { preopen: at.index, path: r.path } };
  }

  /** Sends a spawn/exec request; the bytes, read for this request alone, are moved rather than copied. */
  function post(m: ProcRequest & { t: 'spawn' | 'exec' }): void {
    tree.post(m, m.bytes ? [m.bytes.buffer] : undefined);
  }

  /** exec/spawn's program lookup: a name without '/' is searched in PATH when asked. */
  function findProgram(name: string, searchPath: boolean, pathVar: string, cwd: string): Program {
    if (name === '') throw new WasiError(Errno.NOENT);
    if (!searchPath || name.includes('/')) return readProgram(absolute(name, cwd));
    let err: number = Errno.NOENT;
    for (const dir of (pathVar || '/usr/local/bin:/bin:/usr/bin').split(':')) {
      try {
        return readProgram(absolute((dir || '.') + '/' + name, cwd));
      } catch (e) {
        if (!(e instanceof WasiError)) throw e;
        if (e.errno !== Errno.NOENT && e.errno !== Errno.NOTDIR) err = e.errno;
      }
    }
    throw new WasiError(err);
  }

  /** Closes fds of `fdt` (this process's table or a child's region), releasing last references. */
  function closeIn(fdt: FdTable, fd: number): void {
    const e = fdt.remove(fd);
    if (e.last) releaseEntry(k, e);
  }

  /**
   * posix_spawn's open action, in the child's region: path_open's own code (openPath), from the child's
   * preopen that holds the path (resolved from the child's cwd), then moved to the fd asked for.
   */
  function openAction(child: FdTable, fd: number, abs: string, dirflags: number, oflags: number,
    rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdflagsExt: number): void {
    const at = locate(abs);
    const dirfd = at ? preopenFd(child, at.index) : -1;
    if (!at || dirfd < 0) throw new WasiError(Errno.NOENT);
    const fresh = openPath(k, child, dirfd, at.rel === '' ? '.' : at.rel, dirflags, oflags, rightsBase, rightsInheriting, fdflags);
    if (fresh < 0) throw new WasiError(-fresh);
    if (fresh !== fd) {
      const r = child.dup(fresh, { at: fd });
      if (r.closed?.last) releaseEntry(k, r.closed);
      closeIn(child, fresh);
    }
    if (fdflagsExt & FdFlagsExt.CLOEXEC) Atomics.store(child.i32, child.at(fd, FdSlot.FDFLAGS_EXT), FdFlagsExt.CLOEXEC);
  }

  /** The fd of preopen `index` in an fd table, or -1 when it was closed. */
  function preopenFd(fdt: FdTable, index: number): number {
    for (const fd of fdt.openFds()) {
      if (fdt.i32[fdt.at(fd, FdSlot.PREOPEN)] === index + 1 && fdt.kind(fd) === FdKind.DIR) return fd;
    }
    return -1;
  }

  /** Applies posix_spawn file actions to the child's fd region, in order; returns the child's cwd. */
  function applyFdOps(child: FdTable, opsPtr: number, n: number, cwd: string): string {
    const m = k.mem.sync();
    if (n > 4096) throw new WasiError(Errno.INVAL);
    const base = n === 0 ? 0 : m.checkAligned(opsPtr, n * SpawnFdOp.size, SpawnFdOp.align);
    for (let i = 0; i < n; i++) {
      const m2 = k.mem.sync();
      const p = base + i * SpawnFdOp.size;
      const cmd = m2.dv.getUint8(p + SpawnFdOp.cmd);
      const fd = m2.dv.getUint32(p + SpawnFdOp.fd, true);
      const src = m2.dv.getUint32(p + SpawnFdOp.srcFd, true);
      const path = (): string => decodeGuestPath(m2.bytes(m2.dv.getUint32(p + SpawnFdOp.path, true),
        m2.dv.getUint32(p + SpawnFdOp.pathLen, true)).slice());
      switch (cmd) {
        case SpawnFdOpName.CLOSE:
          // posix_spawn ignores closing an fd that is not open
          if (child.kind(fd) !== FdKind.FREE) closeIn(child, fd);
          break;
        case SpawnFdOpName.DUP2: {
          if (child.kind(src) === FdKind.FREE) throw new WasiError(Errno.BADF);
          if (fd >>> 0 >= MAX_FDS) throw new WasiError(Errno.BADF);
          if (src === fd) {
            // dup2(fd, fd) in a spawn action clears close-on-exec (POSIX 2024)
            Atomics.store(child.i32, child.at(fd, FdSlot.FDFLAGS_EXT), 0);
            break;
          }
          const r = child.dup(src, { at: fd });
          if (r.closed?.last) releaseEntry(k, r.closed);
          break;
        }
        case SpawnFdOpName.OPEN:
          if (fd >>> 0 >= MAX_FDS) throw new WasiError(Errno.BADF);
          openAction(child, fd, absolute(path(), cwd), m2.dv.getUint32(p + SpawnFdOp.dirflags, true),
            m2.dv.getUint16(p + SpawnFdOp.oflags, true), m2.dv.getBigUint64(p + SpawnFdOp.rightsBase, true),
            m2.dv.getBigUint64(p + SpawnFdOp.rightsInheriting, true), m2.dv.getUint16(p + SpawnFdOp.fdflags, true),
            m2.dv.getUint16(p + SpawnFdOp.fdflagsext, true));
          break;
        case SpawnFdOpName.CHDIR:
          cwd = absolute(path(), cwd);
          break;
        case SpawnFdOpName.FCHDIR: {
          const b = child.require(fd, 0);
          if (child.i32[b + FdSlot.KIND] !== FdKind.DIR) throw new WasiError(Errno.NOTDIR);
          const root = k.cfg.preopens[child.backend(b)]?.guestPath ?? '/';
          cwd = absolute(child.path(b), absolute(root, '/'));
          break;
        }
        default:
          throw new WasiError(Errno.INVAL);
      }
    }
    // The child's fd table holds only what survives exec: close-on-exec fds go now.
    for (const e of child.closeAll(true)) if (e.last) releaseEntry(k, e);
    return cwd;
  }

  function spawn2(namePtr: number, nameLen: number, argsPtr: number, argsLen: number, envsPtr: number, envsLen: number,
    opsPtr: number, opsLen: number, dispPtr: number, dispLen: number, searchPath: number, pathPtr: number,
    pathLen: number, retPid: number): number {
    let alloc: { row: number; pid: number } | undefined;
    let table: ProcTable | undefined;
    try {
      table = tree.require().table;
      k.mem.sync().check(retPid, 4);
      const name = str(namePtr, nameLen);
      const args = list(argsPtr, argsLen), env = list(envsPtr, envsLen);
      const pathVar = searchPath ? str(pathPtr, pathLen) : '';
      const ignored: number[] = [];
      const n = dispLen >>> 0;
      if (n > 64) return Errno.INVAL;
      if (n > 0) {
        const m = k.mem.sync();
        const d = m.check(dispPtr, n * SignalDisposition.size);
        for (let i = 0; i < n; i++) {
          const sig = m.u8[d + i * SignalDisposition.size + SignalDisposition.sig]!;
          if (m.u8[d + i * SignalDisposition.size + SignalDisposition.disp] === 1 && validSignal(sig)) ignored.push(sig);
        }
      }
      const parentCwd = st.cwd();
      alloc = table.allocate(tree.pid);
      if (!alloc) return Errno.AGAIN;
      const child = k.fds.copyInto(alloc.row, { skipCloexec: false });
      let cwd: string;
      let prog: Program;
      try {
        cwd = applyFdOps(child, opsPtr, opsLen >>> 0, parentCwd);
        prog = findProgram(name, searchPath !== 0, pathVar, cwd);
      } catch (e) {
        for (const x of child.closeAll()) if (x.last) releaseEntry(k, x);
        throw e;
      }
      post({ t: 'spawn', row: alloc.row, pid: alloc.pid, bytes: prog.bytes, file: prog.file, at: prog.at, args, env, cwd, ignored });
      k.mem.sync().setU32(retPid, alloc.pid);
      alloc = undefined;
      return 0;
    } finally {
      if (alloc && table) table.release(alloc.row);
    }
  }

  /** exec: on success the calling process's program is replaced (this thread never returns). */
  function exec(name: string, args: string[], env: string[] | undefined, searchPath: boolean, pathVar: string): number {
    tree.require();
    const cwd = st.cwd();
    const prog = findProgram(name, searchPath, pathVar, cwd);
    for (const e of k.fds.closeAll(true)) if (e.last) releaseEntry(k, e);
    // Old program's threads stop here (first exit wins); the coordinator boots the new one in its place.
    k.ctl.claimExit(0);
    post({ t: 'exec', bytes: prog.bytes, file: prog.file, at: prog.at, args, env: env ?? k.cfg.env, cwd });
    throw new ThreadKilled();
  }

  return {
    proc_spawn2: errno(spawn2),

    // On success the calling thread unwinds (the process is replaced); an errno comes back on failure.
    proc_exec3: errno(function proc_exec3(namePtr: number, nameLen: number, argsPtr: number, argsLen: number,
      envsPtr: number, envsLen: number, searchPath: number, pathPtr: number, pathLen: number) {
      return exec(str(namePtr, nameLen), list(argsPtr, argsLen), list(envsPtr, envsLen), searchPath !== 0,
        searchPath ? str(pathPtr, pathLen) : '');
    }),

    proc_exec2: ends(function proc_exec2(namePtr: number, nameLen: number, argsPtr: number, argsLen: number, envsPtr: number, envsLen: number): void {
      let err: number;
      try {
        err = exec(str(namePtr, nameLen), list(argsPtr, argsLen), list(envsPtr, envsLen), false, '');
      } catch (e) {
        err = k.fail(e, 'wasix_32v1.proc_exec2');
      }
      // No way to return an error: "the process will fail and terminate".
      k.host.log(`weft: exec failed (errno ${err})`);
      k.exit(127);
    }),

    proc_exec: ends(function proc_exec(namePtr: number, nameLen: number, argsPtr: number, argsLen: number): void {
      let err: number;
      try {
        err = exec(str(namePtr, nameLen), list(argsPtr, argsLen), undefined, false, '');
      } catch (e) {
        err = k.fail(e, 'wasix_32v1.proc_exec');
      }
      k.host.log(`weft: exec failed (errno ${err})`);
      k.exit(127);
    }),
  };
}

/** --trace: the program and argv of spawn/exec. */
function guestText(k: Kernel, ptr: number, len: number): string {
  try {
    const b = k.mem.sync().bytes(ptr, Math.min(len >>> 0, 256)).slice();
    return JSON.stringify(new TextDecoder().decode(b).replace(/\0+$/, '').replaceAll('\n', ' '));
  } catch {
    return '?';
  }
}
argFormatters['proc_spawn2'] = (k, a) => `{name=${guestText(k, a[0] as number, a[1] as number)} argv=${guestText(k, a[2] as number, a[3] as number)} fd_ops=${String(a[7])}}`;
argFormatters['proc_exec3'] = (k, a) => `{name=${guestText(k, a[0] as number, a[1] as number)} argv=${guestText(k, a[2] as number, a[3] as number)}}`;
