import { Errno, WasiError } from '../../abi/errno.js';
import { Filetype, LookupFlags, OFlags, Rights } from '../../abi/constants.js';
import {
  FdFlagsExt, JoinFlags, JoinStatus, JoinStatusType, OptionPid, SignalDisposition, SpawnFdOp, SpawnFdOpName,
  StackSnapshot, WasixSignal,
} from '../../abi/wasix.js';
import { decodeGuestPath, resolve } from '../../fs/resolve.js';
import { Ctl } from '../shared/control-block.js';
import type { ForkResume } from '../resume.js';
import type { Resumable, Snapshot } from '../resume.js';
import { ThreadKilled } from '../exits.js';
import { FdSlot, FdKind, FdTable, MAX_FDS } from '../shared/fd-table.js';
import { releaseEntry } from '../files.js';
import type { Kernel } from '../kernel.js';
import { ProcState, ProcTable, ProcTableHeader, ROOT_PID, ProcRow } from '../shared/process-table.js';
import { DIR_RIGHTS, FILE_RIGHTS } from '../rights.js';
import { processSignalSlot, validSignal } from '../signals.js';
import type { WasixState } from '../shared/wasix-state.js';
import { locateMount, normalizeAbsolute } from '../../fs/path.js';
import { blocking, ends, errno, voidCall, type SyscallTable } from './types.js';
import { argFormatters } from '../trace.js';

/** Requests a thread sends its coordinator to create or replace processes (served by process/process-tree.ts). */
export type ProcRequest =
  /** Start `bytes` as the (already allocated) process in `row`, whose fd region is already filled. */
  | { t: 'spawn'; row: number; pid: number; bytes: Uint8Array; args: string[]; env: string[]; cwd: string;
      ignored: number[] }
  /** Replace the calling process's program (same pid, row and fds). */
  | { t: 'exec'; bytes: Uint8Array; args: string[]; env: string[]; cwd: string }
  /** Start a forked child: the same module over a copy of the memory, resuming the forking thread. */
  | { t: 'fork'; row: number; pid: number; memory: WebAssembly.Memory; wasixSab: SharedArrayBuffer; resume: ForkResume }
  /** Deliver a signal to another process of the tree. */
  | { t: 'kill'; pid: number; sig: number };

/** Longest a blocked waitpid sleeps between checks for signals and process teardown. */
const WAIT_SLICE_MS = 100;
const MAX_STRING = 1 << 20;
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * wasix_32v1 processes: fork (asyncify), exec, posix_spawn, waitpid, kill between processes, process
 * identity, and setjmp/longjmp (stack_checkpoint/stack_restore, asyncify too). The process table and
 * fd regions are shared buffers, so allocating a pid, filling the child's fds, waiting and reaping all
 * run in the calling thread; only starting a program (compiling it, booting workers) goes to the
 * coordinator, which the caller does not wait for.
 */
export function wasixProcessSyscalls(k: Kernel, st: WasixState): SyscallTable {
  const proc = k.cfg.proc;
  const table = proc ? new ProcTable(proc.tableSab) : undefined;
  const pid = proc?.pid ?? ROOT_PID;
  const post = (m: ProcRequest): void => k.host.post(m);

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

  /** Reads a program file from the process's filesystem view; checks it is a wasm module. */
  function readProgram(abs: string): Uint8Array {
    const at = locate(abs);
    if (!at) throw new WasiError(Errno.NOENT);
    const be = k.backend(at.index);
    const r = at.rel === '' ? { path: '', stat: be.lstat('') } : resolve(be, '', at.rel, true);
    if (!r.stat) throw new WasiError(Errno.NOENT);
    if (r.stat.filetype === Filetype.DIRECTORY) throw new WasiError(Errno.ACCES);
    const h = be.open(r.path, { read: true, write: false, create: false, exclusive: false, truncate: false, directory: false, append: false });
    try {
      const size = Number(be.fstat(h).size);
      const out = new Uint8Array(size);
      for (let got = 0; got < size;) {
        const n = be.pread(h, out.subarray(got), got);
        if (n <= 0) break;
        got += n;
      }
      if (size < 8 || WASM_MAGIC.some((b, i) => out[i] !== b) || !WebAssembly.validate(out)) {
        throw new WasiError(Errno.NOEXEC);
      }
      return out;
    } finally {
      be.close(h);
    }
  }

  /** exec/spawn's program lookup: a name without '/' is searched in PATH when asked. */
  function findProgram(name: string, searchPath: boolean, pathVar: string, cwd: string): Uint8Array {
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

  function requireTree(): { table: ProcTable; row: number } {
    if (!table || !proc) throw new WasiError(Errno.NOTSUP);
    return { table, row: proc.row };
  }

  /** Closes fds of `fdt` (this process's table or a child's region), releasing last references. */
  function closeIn(fdt: FdTable, fd: number): void {
    const e = fdt.remove(fd);
    if (e.last) releaseEntry(k, e);
  }

  /** posix_spawn's open action, done in the child's region (the path resolved from the child's cwd). */
  function openInto(child: FdTable, fd: number, abs: string, dirflags: number, oflags: number,
    rightsBase: bigint, fdflags: number, fdflagsExt: number): void {
    const at = locate(abs);
    if (!at) throw new WasiError(Errno.NOENT);
    const be = k.backend(at.index);
    const follow = (dirflags & LookupFlags.SYMLINK_FOLLOW) !== 0 || true;
    const r = at.rel === '' ? { path: '', stat: be.lstat(''), trailingSlash: false } : resolve(be, '', at.rel, follow);
    const exclusive = (oflags & OFlags.CREAT) !== 0 && (oflags & OFlags.EXCL) !== 0;
    if (r.stat && exclusive) throw new WasiError(Errno.EXIST);
    if (!r.stat && !(oflags & OFlags.CREAT)) throw new WasiError(Errno.NOENT);
    const isDir = r.stat?.filetype === Filetype.DIRECTORY;
    const requested = Number(rightsBase & 0x3fffffffn);
    const write = !isDir && (requested & Rights.FD_WRITE) !== 0;
    if (isDir && write) throw new WasiError(Errno.ISDIR);
    const append = (fdflags & 1) !== 0;
    const handle = be.open(r.path, {
      read: isDir || (requested & Rights.FD_READ) !== 0 || !write, write, create: (oflags & OFlags.CREAT) !== 0,
      exclusive, truncate: (oflags & OFlags.TRUNC) !== 0, directory: (oflags & OFlags.DIRECTORY) !== 0, append: append && write,
    });
    const fresh = child.insert({
      kind: isDir ? FdKind.DIR : FdKind.FILE, filetype: r.stat ? r.stat.filetype : Filetype.REGULAR_FILE,
      flags: fdflags & 0x1f, rightsBase: requested & (isDir ? DIR_RIGHTS : FILE_RIGHTS),
      rightsInheriting: isDir ? DIR_RIGHTS | FILE_RIGHTS : 0, handle, backend: at.index, path: isDir ? r.path : '',
      openFlags: append && write ? 1 : 0,
    });
    if (fresh !== fd) {
      const r2 = child.dup(fresh, { at: fd });
      if (r2.closed?.last) releaseEntry(k, r2.closed);
      closeIn(child, fresh);
    }
    if (fdflagsExt & FdFlagsExt.CLOEXEC) Atomics.store(child.i32, child.at(fd, FdSlot.FDFLAGS_EXT), FdFlagsExt.CLOEXEC);
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
          openInto(child, fd, absolute(path(), cwd), m2.dv.getUint32(p + SpawnFdOp.dirflags, true),
            m2.dv.getUint16(p + SpawnFdOp.oflags, true), m2.dv.getBigUint64(p + SpawnFdOp.rightsBase, true),
            m2.dv.getUint16(p + SpawnFdOp.fdflags, true), m2.dv.getUint16(p + SpawnFdOp.fdflagsext, true));
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
    let tree: { table: ProcTable; row: number } | undefined;
    try {
      tree = requireTree();
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
      alloc = tree.table.allocate(pid);
      if (!alloc) return Errno.AGAIN;
      const child = k.fds.copyInto(alloc.row, { skipCloexec: false });
      let cwd: string;
      let bytes: Uint8Array;
      try {
        cwd = applyFdOps(child, opsPtr, opsLen >>> 0, parentCwd);
        bytes = findProgram(name, searchPath !== 0, pathVar, cwd);
      } catch (e) {
        for (const x of child.closeAll()) if (x.last) releaseEntry(k, x);
        throw e;
      }
      post({ t: 'spawn', row: alloc.row, pid: alloc.pid, bytes, args, env, cwd, ignored });
      k.mem.sync().setU32(retPid, alloc.pid);
      alloc = undefined;
      return 0;
    } catch (e) {
      return k.fail(e);
    } finally {
      if (alloc && tree) tree.table.release(alloc.row);
    }
  }

  /** exec: on success the calling process's program is replaced (this thread never returns). */
  function exec(name: string, args: string[], env: string[] | undefined, searchPath: boolean, pathVar: string): number {
    requireTree();
    const cwd = st.cwd();
    const bytes = findProgram(name, searchPath, pathVar, cwd);
    for (const e of k.fds.closeAll(true)) if (e.last) releaseEntry(k, e);
    // Old program's threads stop here (first exit wins); the coordinator boots the new one in its place.
    k.ctl.claimExit(0);
    post({ t: 'exec', bytes, args, env: env ?? k.cfg.env, cwd });
    throw new ThreadKilled();
  }

  /** Runs after proc_fork's unwind: the stack is in the asyncify buffer, so memory now holds all of it. */
  const forkAfterUnwind = (retPtr: number) => (r: Resumable): (() => number) => {
    const fail = (errno: number) => (): number => errno;
    if (!table || !proc) return fail(Errno.NOTSUP);
    const inst = k.instance!;
    const sp = inst.exports['__stack_pointer'], tls = inst.exports['__tls_base'];
    const buf = k.mem.memory.buffer as ArrayBuffer | SharedArrayBuffer;
    if (!(sp instanceof WebAssembly.Global) || !(buf instanceof SharedArrayBuffer)) return fail(Errno.NOTSUP);
    const alloc = table.allocate(pid);
    if (!alloc) return fail(Errno.AGAIN);
    let memory: WebAssembly.Memory;
    try {
      const pages = buf.byteLength / 65536;
      memory = new WebAssembly.Memory({ initial: pages, maximum: Math.max(pages, proc.memMax ?? pages), shared: true } as WebAssembly.MemoryDescriptor);
    } catch {
      table.release(alloc.row);
      return fail(Errno.NOMEM);
    }
    new Uint8Array(memory.buffer).set(new Uint8Array(buf));
    k.fds.copyInto(alloc.row, { skipCloexec: false });
    const wasixSab = new SharedArrayBuffer(st.sab.byteLength);
    new Uint8Array(wasixSab).set(st.u8);
    post({
      t: 'fork', row: alloc.row, pid: alloc.pid, memory, wasixSab,
      resume: {
        entry: r.entry, stackPointer: sp.value as number, tlsBase: tls instanceof WebAssembly.Global ? (tls.value as number) : 0,
        buf: r.buf, retPtr, snapshots: [...r.snapshots], nextSnapshot: r.nextSnapshot,
      },
    });
    return () => {
      k.mem.sync().setU32(retPtr, alloc.pid);
      return 0;
    };
  };


  return {
    /**
     * wasix-libc implements dup2() as fd_renumber, so for WASIX programs it has dup2's meaning (as in
     * Wasmer): `from` stays open, `to` may be closed or free, and the new fd is not close-on-exec.
     * Without it, `dup2(pipe[1], 1); close(pipe[1])` -- every shell's redirection -- would fail.
     */
    fd_renumber: errno(function fd_renumber(from: number, to: number) {
      if (to >>> 0 >= MAX_FDS) return Errno.BADF;
      const r = k.fds.dup(from, { at: to });
      if (r.closed?.last) releaseEntry(k, r.closed);
      return 0;
    }),

    proc_exit2: ends(function proc_exit2(code: number): void {
      k.exit(code >>> 0 > 255 ? code & 0xff : code);
    }),

    proc_id: errno(function proc_id(ptr: number) {
      k.mem.sync().setU32(ptr, pid);
      return 0;
    }),

    proc_parent: errno(function proc_parent(of: number, ptr: number) {
      const m = k.mem.sync();
      m.check(ptr, 4);
      if (!table) {
        if (of !== pid) return Errno.SRCH;
        m.setU32(ptr, 0);
        return 0;
      }
      const row = table.rowOf(of);
      if (row < 0) return Errno.SRCH;
      m.setU32(ptr, table.get(row, ProcRow.PPID));
      return 0;
    }),

    proc_join: blocking(function proc_join(pidPtr: number, flags: number, statusPtr: number) {
      const { table: t } = requireTree();
      const m = k.mem.sync();
      const pp = m.checkAligned(pidPtr, OptionPid.size, OptionPid.align);
      const sp = m.checkAligned(statusPtr, JoinStatus.size, JoinStatus.align);
      const want = m.u8[pp + OptionPid.tag] === 1 ? m.dv.getInt32(pp + OptionPid.pid, true) : -1;
      const target = want === 0 ? -1 : want; // no process groups: 0 means any child
      for (;;) {
        const seq = Atomics.load(t.i32, ProcTableHeader.SEQ);
        const z = t.reap(pid, target);
        if (z === 'none') return Errno.CHILD;
        const m2 = k.mem.sync();
        if (z !== 'running') {
          m2.u8.fill(0, sp, sp + JoinStatus.size);
          m2.dv.setUint8(pp + OptionPid.tag, 1);
          m2.dv.setUint32(pp + OptionPid.pid, z.pid, true);
          if (z.termsig) {
            m2.dv.setUint8(sp + JoinStatus.tag, JoinStatusType.EXIT_SIGNAL);
            m2.dv.setUint8(sp + JoinStatus.signal, z.termsig);
          } else {
            m2.dv.setUint8(sp + JoinStatus.tag, JoinStatusType.EXIT_NORMAL);
            m2.dv.setUint16(sp + JoinStatus.code, z.code & 0xff, true);
          }
          return 0;
        }
        if (flags & JoinFlags.NON_BLOCKING) {
          m2.u8.fill(0, sp, sp + JoinStatus.size);
          m2.dv.setUint8(pp + OptionPid.tag, 1);
          m2.dv.setUint32(pp + OptionPid.pid, 0, true);
          return 0;
        }
        if (k.signals?.pending()) return Errno.INTR;
        Atomics.wait(t.i32, ProcTableHeader.SEQ, seq, WAIT_SLICE_MS);
        k.checkAlive();
      }
    }),

    proc_signal: errno(function proc_signal(target: number, sig: number) {
      if (!validSignal(sig)) return Errno.INVAL;
      if (target === pid || target === 0 || !table) {
        if (target !== pid && target !== 0) return Errno.SRCH;
        if (sig !== 0) k.signals!.raiseSlot(processSignalSlot(k.ctl, k.slot), sig);
        return 0;
      }
      if (target === -1) {
        // every other process of the tree (Linux leaves out the caller)
        let any = false;
        for (let r = 0; r < table.max; r++) {
          const p = table.get(r, ProcRow.PID);
          if (table.get(r, ProcRow.STATE) !== ProcState.RUNNING || p === pid) continue;
          any = true;
          if (sig !== 0) post({ t: 'kill', pid: p, sig });
        }
        return any ? 0 : Errno.SRCH;
      }
      const abs = target < 0 ? -target : target; // no process groups: a group is its leader
      if (table.rowOf(abs) < 0) return Errno.SRCH;
      if (sig !== 0) post({ t: 'kill', pid: abs, sig });
      return 0;
    }),

    proc_signals_sizes_get: errno(function proc_signals_sizes_get(ptr: number) {
      k.mem.sync().setU32(ptr, (k.cfg.ignoredSignals ?? []).length);
      return 0;
    }),

    proc_signals_get: errno(function proc_signals_get(buf: number) {
      const ign = k.cfg.ignoredSignals ?? [];
      const m = k.mem.sync();
      const p = m.check(buf, ign.length * SignalDisposition.size);
      ign.forEach((sig, i) => {
        m.u8[p + i * SignalDisposition.size + SignalDisposition.sig] = sig;
        m.u8[p + i * SignalDisposition.size + SignalDisposition.disp] = 1;
      });
      return 0;
    }),

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
        err = k.fail(e);
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
        err = k.fail(e);
      }
      k.host.log(`weft: exec failed (errno ${err})`);
      k.exit(127);
    }),

    proc_fork: errno(function proc_fork(_copyMemory: number, retPtr: number) {
      // vfork (copy_memory 0) is a full fork too: the child gets its own copy, which a vfork child that
      // only calls exec or _exit cannot tell apart.
      const r = k.resumable;
      if (r.rewinding()) return r.finish();
      k.mem.sync().check(retPtr, 4);
      if (!table) return Errno.NOTSUP;
      // A handler runs below a JS frame (the kernel's delivery), which an asyncify unwind cannot cross.
      if (k.signals?.inHandler) return Errno.NOTSUP;
      return r.suspend(forkAfterUnwind(retPtr));
    }),

    stack_checkpoint: errno(function stack_checkpoint(snapPtr: number, retPtr: number) {
      const r = k.resumable;
      if (r.rewinding()) return r.finish();
      const m = k.mem.sync();
      m.checkAligned(snapPtr, StackSnapshot.size, StackSnapshot.align);
      m.check(retPtr, 8);
      if (k.signals?.inHandler) return Errno.NOTSUP; // see proc_fork
      return r.suspend((res) => {
        const sp = k.instance!.exports['__stack_pointer'] as WebAssembly.Global | undefined;
        const m2 = k.mem.sync();
        const end = m2.getU32(res.buf);
        const snapshots = res.snapshots;
        const id = res.nextSnapshot++;
        snapshots.set(id, { data: m2.u8.slice(res.buf + 8, end), end, sp: (sp?.value as number) ?? 0, retPtr });
        if (snapshots.size > 4096) snapshots.delete(snapshots.keys().next().value!);
        m2.setU64(snapPtr + StackSnapshot.user, 0n);
        m2.setU64(snapPtr + StackSnapshot.hash, BigInt(id));
        m2.setU64(snapPtr + StackSnapshot.hash + 8, BigInt(pid) << 32n | BigInt(k.tid >>> 0));
        return () => {
          k.mem.sync().setU64(retPtr, 0n);
          return 0;
        };
      });
    }),

    stack_restore: voidCall(function stack_restore(snapPtr: number, val: bigint): void {
      let snap: Snapshot | undefined;
      try {
        const m = k.mem.sync();
        m.checkAligned(snapPtr, StackSnapshot.size, StackSnapshot.align);
        snap = k.resumable.snapshots.get(Number(m.getU64(snapPtr + StackSnapshot.hash)));
      } catch {
        snap = undefined;
      }
      if (!snap) {
        // longjmp to a buffer setjmp never filled (or another thread's): undefined behaviour in C.
        k.host.log(`weft: thread ${k.tid}: longjmp to an unknown setjmp buffer`);
        k.exit(128 + WasixSignal.SEGV);
      }
      if (k.signals?.inHandler) {
        // longjmp out of a signal handler would have to unwind through the kernel's JS frame
        k.host.log(`weft: thread ${k.tid}: longjmp out of a signal handler is not supported`);
        k.exit(128 + WasixSignal.ABRT);
      }
      const s = snap;
      const value = val === 0n ? 1n : val;
      try {
        k.resumable.suspend((res) => {
          const m2 = k.mem.sync();
          m2.u8.set(s.data, res.buf + 8);
          m2.setU32(res.buf, s.end);
          const sp = k.instance!.exports['__stack_pointer'];
          if (sp instanceof WebAssembly.Global) sp.value = s.sp;
          // The rewind ends in the stack_checkpoint call that made the snapshot, which now returns `value`.
          return () => {
            k.mem.sync().setU64(s.retPtr, value);
            return 0;
          };
        });
      } catch (e) {
        k.fail(e);
        k.host.log(`weft: thread ${k.tid}: longjmp needs a module built with wasm-opt --asyncify`);
        k.exit(128 + WasixSignal.ABRT);
      }
    }),
  };
}

/** --trace: the program and argv of spawn/exec, and the pid asked of waitpid. */
function guestText(k: Kernel, ptr: number, len: number): string {
  try {
    const b = k.mem.sync().bytes(ptr, Math.min(len >>> 0, 256)).slice();
    return JSON.stringify(new TextDecoder().decode(b).replace(/\0+$/, '').replaceAll('\n', ' '));
  } catch {
    return '?';
  }
}
argFormatters['proc_spawn2'] = (k, a) => `{name=${guestText(k, a[0] as number, a[1] as number)} argv=${guestText(k, a[2] as number, a[3] as number)} fd_ops=${a[7]}}`;
argFormatters['proc_exec3'] = (k, a) => `{name=${guestText(k, a[0] as number, a[1] as number)} argv=${guestText(k, a[2] as number, a[3] as number)}}`;
argFormatters['proc_join'] = (k, a) => {
  try {
    const m = k.mem.sync();
    const p = m.check(a[0] as number, OptionPid.size);
    return m.u8[p + OptionPid.tag] === 1 ? `{pid=${m.dv.getInt32(p + OptionPid.pid, true)}}` : '{any child}';
  } catch {
    return '';
  }
};
