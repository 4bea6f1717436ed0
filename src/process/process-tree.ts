import type { FunctionSignatures, ModuleInfo } from '../abi/wasm-module.js';
import type { ImportPlan } from '../kernel/config.js';
import { planImports } from './link.js';
import { UnknownImportsError } from './errors.js';
import { WASIX_IGNORED_BY_DEFAULT, WasixSignal } from '../abi/wasix.js';
import type { BackendDescriptor, FsBackend } from '../fs/backend.js';
import { Desc, FdKind, FdTable } from '../kernel/shared/fd-table.js';
import { closeDescHandles } from '../kernel/files.js';
import { ProcRow, ProcState, ProcTable, ROOT_PID } from '../kernel/shared/process-table.js';
import { processSignalSlot, raiseSignal } from '../kernel/signals.js';
import type { ProcRequest, ProgramAt } from '../kernel/proc-request.js';
import { openProgram } from '../fs/program-file.js';
import { MemoryPool, sizeOf } from './memory-pool.js';
import { WasixState } from '../kernel/shared/wasix-state.js';
import { type Control, Ctl, Slot } from '../kernel/shared/control-block.js';
import { type CoordinatorHost, needsNet, type ProcessOptions, WeftProcess } from './coordinator.js';
import { NetState } from '../kernel/shared/net-state.js';
import type { NetOwner } from './net-owner.js';

/** What the process tree needs from its host beyond a coordinator host. */
export interface SystemHost {
  /** Compiles a program another process asked to run (the host prepares the engine for threads). */
  compile(bytes: Uint8Array): Promise<{ module: WebAssembly.Module; info: ModuleInfo; sigs: FunctionSignatures | undefined }>;
  /** A backend of a preopen, on the coordinator's thread (closing a dead process's files). */
  openBackend(d: BackendDescriptor): FsBackend;
}

export interface SystemOptions {
  /** Most processes alive at once (the root included); fork/spawn beyond it fail with EAGAIN. */
  maxProcesses: number;
}

/** Default of the max-processes option. */
export const DEFAULT_MAX_PROCESSES = 64;

/** Words of the fd table buffer a process tree needs (FdTable.create(regions)). */
export function treeFdRegions(info: ModuleInfo, maxProcesses: number): number {
  return info.usesWasix ? Math.max(1, maxProcesses) : 1;
}

interface Compiled { module: WebAssembly.Module; info: ModuleInfo; imports: ImportPlan }

/** Spare memories a process's worker is given ahead of its forks. */
const MAX_SPARES = 1;

/** Program files the compile cache remembers by identity (then it starts over). */
const FILES_MAX = 256;

interface Entry {
  proc: WeftProcess;
  pid: number;
  /** Being replaced by exec: its end is not the process's end. */
  execing: boolean;
}

/**
 * A WASIX process tree: the root process the host started and every process it forks or spawns, each a
 * WeftProcess of its own (own memory, workers, control block, WASIX state) sharing the tree's process
 * table, fd table buffer (one fd region per process over shared open descriptions) and pipe objects.
 * It serves what threads cannot do themselves: booting a program (spawn, exec, fork), signals to another
 * process, and the end of a process (its fds closed, its parent told). The tree ends with its root.
 */
export class WeftSystem {
  readonly table: ProcTable | undefined;
  private readonly entries = new Map<number, Entry>();
  /**
   * Signals for a pid that runs no program at the moment, delivered when run() launches one: its fork or
   * spawn request is not launched yet (a parent's kill right after fork), or it is being replaced by exec
   * (pending signals survive exec).
   */
  private readonly early = new Map<number, number[]>();
  private readonly cache = new Map<string, Promise<Compiled>>();
  private readonly byFile = new Map<string, Promise<Compiled>>();
  /** The files of byFile whose compile succeeded: handed to each process started (KernelConfig.proc.programs). */
  private readonly compiledFiles = new Set<string>();
  private readonly backends: (FsBackend | undefined)[] = [];
  /** Memories of ended processes, for the next exec/spawn of the same size (see recycle()). */
  private readonly memories = new MemoryPool();
  /**
   * Spare memories a process's worker holds for its forks, per process: as its last fork reported, plus
   * those given since (at most MAX_SPARES: a parent in waitpid whose children end must not pile them up).
   */
  private readonly spares = new WeakMap<WeftProcess, number>();
  /** Memories recycled and not in use again: a process that exec replaced and that then ends must not recycle its memory twice. */
  private readonly recycled = new WeakSet<WebAssembly.Memory>();
  private objects: WasixState | undefined;
  /** The tree's network state and owner of host sockets, created when the first process needs them. */
  private net: { sab: SharedArrayBuffer; owner: NetOwner | undefined; state: NetState } | undefined;
  private rootDone = false;
  private root: WeftProcess | undefined;
  /** The root process (after start()). */
  private get top(): WeftProcess {
    return this.root!;
  }
  private resolveExit!: (code: number) => void;
  readonly exited = new Promise<number>((r) => (this.resolveExit = r));

  constructor(private readonly coordinator: CoordinatorHost, private readonly host: SystemHost,
    private readonly base: ProcessOptions, opts: SystemOptions) {
    const fds = new FdTable(base.kernel.fdSab);
    this.table = base.info.usesWasix ? ProcTable.create(Math.min(opts.maxProcesses, fds.regions)) : undefined;
  }

  /** Starts the root process; resolves with its exit code once every process of the tree is gone. */
  start(): Promise<number> {
    const root = this.rootProcess();
    this.run(0, ROOT_PID, root);
    // A program that can start processes (a shell) gets its standby Workers now, booting while it starts,
    // rather than at its first fork, which would wait for them.
    if (this.table && this.base.info.startsProcesses) this.coordinator.prewarm?.();
    return this.exited;
  }

  /** Hands the root process the listening sockets of its options (before start()). */
  openListeners(): Promise<void> {
    return this.rootProcess().openListeners();
  }

  /** The root process, created (not started) on first use. */
  private rootProcess(): WeftProcess {
    if (this.root) return this.root;
    const t = this.table;
    let kernel = this.base.kernel;
    if (t) {
      const { row, pid } = t.allocate(0)!;
      const objSab = kernel.objSab ?? WasixState.createObjects();
      kernel = { ...kernel, objSab, proc: { tableSab: t.sab, row, pid, memMax: this.base.info.memoryImport?.maximum } };
      if (pid !== ROOT_PID) throw new Error('process table not empty');
    }
    const netShared = t ? this.treeNet(needsNet(this.base)) : undefined;
    this.root = this.create(0, { ...this.base, kernel, netShared });
    if (this.root.cfg.objSab) this.objects = new WasixState(this.root.cfg.wasixSab!, this.root.cfg.objSab);
    return this.root;
  }

  /**
   * The tree's network state, shared by every process like the pipe objects (so socket and epoll fds
   * cross fork, spawn and exec); created for the first process that can open sockets. A process that
   * cannot gets it anyway once it exists: it may inherit a socket (an inetd-style filter on stdin).
   */
  private treeNet(need: boolean): ProcessOptions['netShared'] {
    if (!this.net && need) {
      const state = NetState.create();
      const owner = this.base.net ? this.base.net(state, (l) => this.coordinator.log(l)) : undefined;
      this.net = { sab: state.sab, owner, state };
    }
    return this.net && { sab: this.net.sab, owner: this.net.owner };
  }

  /** Kills the whole tree from the host side. */
  kill(code: number): Promise<number> {
    void this.top.kill(code);
    return this.exited;
  }

  private create(row: number, opts: ProcessOptions): WeftProcess {
    return new WeftProcess(this.coordinator, { ...opts, onRequest: (m) => this.onRequest(row, m) });
  }

  private run(row: number, pid: number, proc: WeftProcess): void {
    const entry: Entry = { proc, pid, execing: false };
    this.entries.set(row, entry);
    void proc.start().then((code) => this.ended(row, entry, code));
    const early = this.early.get(pid);
    if (early) {
      this.early.delete(pid);
      for (const sig of early) this.signal(pid, sig);
    }
  }

  private launch(row: number, pid: number, opts: ProcessOptions): WeftProcess {
    const proc = this.create(row, opts);
    this.run(row, pid, proc);
    return proc;
  }

  /** Options of a new process in the tree, inheriting the root's host setup. */
  private childOptions(row: number, pid: number, module: WebAssembly.Module, info: ModuleInfo, imports: ImportPlan | undefined,
    over: Partial<ProcessOptions['kernel']>, extra: Partial<ProcessOptions> = {}): ProcessOptions {
    const rootCfg = this.top.cfg;
    return {
      ...this.base, module, info, stdin: undefined, stdinServer: this.top.stdin, listeners: undefined, wasixSab: undefined, memory: undefined,
      // what the root program's invoke returned is not a child's to report
      onResults: undefined,
      // no spare pool worker up front: most children never start a thread, and a Worker boot is the cost
      // of a spawn (a pool worker is booted on the first thread_spawn, as usual)
      resume: undefined, spareWorkers: 0, netShared: this.treeNet(needsNet({ info })), ...extra,
      kernel: {
        ...this.base.kernel, objSab: rootCfg.objSab, ignoredSignals: undefined, invoke: undefined, imports, ...over,
        proc: { tableSab: this.table!.sab, row, pid, memMax: info.memoryImport?.maximum, programs: [...this.compiledFiles] },
      },
    };
  }

  /**
   * Compiles a program another process starts, and links it as run() links the root: the same user
   * imports and unknown-import rule. A program that cannot be linked is not started (127), with a line
   * on stderr naming its unknown imports. Once per tree: found by the file's identity (a shell running the
   * same program again: the thread sends no bytes, see ProcRequest), else by content. A request without
   * bytes whose file the cache no longer has (bounded, or its compile failed) reads the file here.
   */
  private compile(m: { bytes: Uint8Array | undefined; file: string; at: ProgramAt }): Promise<Compiled> {
    const known = this.byFile.get(m.file);
    if (known) return known;
    let bytes = m.bytes, file = m.file;
    if (!bytes) {
      try {
        // (the file may have changed since the thread looked: then this is its new content and identity)
        ({ bytes, file } = openProgram(this.backend(m.at.preopen), m.at.path, m.at.preopen, () => true));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      const again = this.byFile.get(file);
      if (again) return again;
    }
    const key = `${bytes!.length}:${contentHash(bytes!)}`;
    let p = this.cache.get(key);
    if (!p) {
      const allow = !!this.base.kernel.imports?.allowUnknownImports;
      p = this.host.compile(bytes!).then((c) => ({ ...c, imports: planImports(c.module, c.sigs, this.base.userImports, allow) }));
      this.cache.set(key, p);
      p.catch((e: unknown) => {
        this.cache.delete(key);
        if (e instanceof UnknownImportsError) this.coordinator.log(`weft: cannot start a program: ${e.message}`);
      });
    }
    if (this.byFile.size >= FILES_MAX) {
      this.byFile.clear();
      this.compiledFiles.clear();
    }
    this.byFile.set(file, p);
    p.then(() => {
      if (this.byFile.get(file) === p) this.compiledFiles.add(file);
    }, () => {
      if (this.byFile.get(file) === p) this.byFile.delete(file);
    });
    return p;
  }

  private onRequest(row: number, m: ProcRequest): void {
    if (this.rootDone || !this.table) return;
    // A program that starts processes will likely start more: keep a Worker booted for the next one.
    if (m.t !== 'kill') this.coordinator.prewarm?.();
    switch (m.t) {
      case 'spawn':
        void this.compile(m).then(
          ({ module, info, imports }) => {
            if (this.rootDone) return this.abandon(m.row, 127);
            const wasixSab = WasixState.create(this.top.cfg.objSab, m.cwd).sab;
            this.launch(m.row, m.pid, this.childOptions(m.row, m.pid, module, info, imports,
              { args: m.args, env: m.env, ignoredSignals: m.ignored }, { wasixSab, memory: this.newMemory(info) }));
          },
          () => this.abandon(m.row, 127),
        );
        return;
      case 'fork': {
        const parent = this.entries.get(row);
        if (!parent) return this.abandon(m.row, 127);
        const p = parent.proc;
        this.spares.set(p, m.spares);
        this.giveSpares(p);
        const child = this.launch(m.row, m.pid, this.childOptions(m.row, m.pid, p.opts.module, p.opts.info, p.cfg.imports,
          { args: p.cfg.args, env: p.cfg.env, ignoredSignals: p.cfg.ignoredSignals },
          { memory: m.memory, wasixSab: m.wasixSab, resume: m.resume }));
        // (a forked shell forks again: a pipeline's subshell)
        this.giveSpares(child);
        return;
      }
      case 'exec': {
        const e = this.entries.get(row);
        if (!e) return;
        e.execing = true;
        e.proc.ownsStdin = false; // the new program keeps reading the same stdin
        const finished = e.proc.finish().then(() => {
          this.dropPins(e.proc.ctl);
          this.recycle(e.proc);
          // Signals still pending for the old program survive exec (as on Linux): the new one gets them.
          const bits = Atomics.exchange(e.proc.ctl.i32, e.proc.ctl.slotIndex(processSignalSlot(e.proc.ctl), Slot.SIGNALS), 0);
          for (let sig = 1; sig < 32; sig++) if (bits & (1 << sig)) this.keepSignal(e.pid, sig);
        });
        void Promise.all([finished, this.compile(m)]).then(
          ([, { module, info, imports }]) => {
            if (this.rootDone) return this.abandon(row, 127);
            const wasixSab = WasixState.create(this.top.cfg.objSab, m.cwd).sab;
            const opts = this.childOptions(row, e.pid, module, info, imports, { args: m.args, env: m.env },
              { wasixSab, memory: this.newMemory(info) });
            if (row === 0) {
              opts.stdin = undefined;
              opts.stdinServer = this.top.stdin;
            }
            const proc = this.launch(row, e.pid, opts);
            if (row === 0) {
              proc.ownsStdin = true;
              this.root = proc;
            }
          },
          () => {
            this.early.delete(e.pid);
            this.ended(row, { ...e, execing: false }, 127);
          },
        );
        return;
      }
      case 'kill':
        this.signal(m.pid, m.sig);
        return;
    }
  }

  /** A process of the tree gets a signal from another one. */
  private signal(pid: number, sig: number): void {
    const row = this.table!.rowOf(pid);
    if (row < 0) return;
    const e = this.entries.get(row);
    const ours = e !== undefined && e.pid === pid;
    if (!ours || e.execing) {
      // Being replaced by exec, or allocated by fork/spawn in the sender's thread and launched when its
      // request reaches us: kept for the program run() launches next.
      if (ours || this.table!.get(row, ProcRow.STATE) === ProcState.RUNNING) this.keepSignal(pid, sig);
      return;
    }
    const p = e.proc;
    const handler = p.cfg.wasixSab && p.cfg.objSab && p.opts.info.usesWasix
      ? new WasixState(p.cfg.wasixSab, p.cfg.objSab).handlerName() : null;
    // SIGKILL and a default action that ends the process end it from here, busy loop or not.
    if (sig === WasixSignal.KILL || sig === WasixSignal.STOP || (handler === null && !WASIX_IGNORED_BY_DEFAULT.has(sig))) {
      void p.kill(128 + sig, sig);
      return;
    }
    if (handler === null) return;
    const guest = p.memory ? new Int32Array(p.memory.buffer) : undefined;
    raiseSignal(p.ctl, guest, processSignalSlot(p.ctl), sig);
  }

  private keepSignal(pid: number, sig: number): void {
    const kept = this.early.get(pid);
    if (kept) kept.push(sig);
    else this.early.set(pid, [sig]);
  }

  /** A process that could not be started ends at once (its fd region is released). */
  private abandon(row: number, code: number): void {
    if (this.table) this.early.delete(this.table.get(row, ProcRow.PID));
    this.closeFds(row);
    this.table?.exited(row, code, 0);
  }

  private ended(row: number, e: Entry, code: number): void {
    if (e.execing) return;
    if (this.entries.get(row) === e) this.entries.delete(row);
    if (row === 0) {
      // The tree ends with its root.
      this.rootDone = true;
      const rest = [...this.entries.values()];
      this.entries.clear();
      // (each one's own end, run before this, closes its fds)
      this.coordinator.dispose?.();
      void Promise.all(rest.map((x) => x.proc.kill(128 + WasixSignal.KILL, WasixSignal.KILL))).then(() => {
        // The root's own fds last (its children may share descriptions): the host fds of files and
        // directories it left open, its preopens' included, would otherwise stay open in a long-lived
        // host process, one set per run().
        this.closeFds(0, e.proc.ctl);
        this.net?.owner?.stop(); // every host socket of the tree goes with it
        this.resolveExit(code);
      });
      return;
    }
    if (!this.table) return;
    this.closeFds(row, e.proc.ctl);
    this.recycle(e.proc);
    const termsig = Atomics.load(e.proc.ctl.i32, Ctl.TERM_SIG);
    const ppid = this.table.get(row, ProcRow.PPID);
    this.table.exited(row, code & 0xff, termsig);
    // SIGCHLD to the parent, after the zombie is there for its waitpid. Its default action (ignore) is
    // the libc's or, before the program installed any handler, the kernel's (kernel/signals.ts).
    if (ppid !== 0) this.signal(ppid, WasixSignal.CHLD);
  }

  /**
   * The memory of a process whose workers are all gone (it ended, or exec replaced its program) goes to the
   * pool: its pages are faulted in already (see MemoryPool). Processes that fork take from it (giveSpares),
   * programs exec and spawn start take from it (newMemory).
   */
  private recycle(proc: WeftProcess): void {
    const mem = proc.memory, mi = proc.opts.info.memoryImport;
    // Not a memory a terminated browser worker may still be writing (a killed process's busy loop): the
    // next program would start in it and see its writes (seen: a spawned program trapping in Chromium).
    if (!mem || !mi?.shared || mi.maximum === undefined || this.recycled.has(mem) || proc.mayStillRun) return;
    this.recycled.add(mem);
    this.memories.put(mem, mi.maximum);
  }

  /**
   * Gives a process that can fork a spare memory of its current size from the pool, for its next fork (its
   * worker copies its memory into it instead of a fresh one: ThreadHost.takeMemory). Called where a fork is
   * likely next: when the process forked (a shell's loop) and when it was forked (a pipeline's subshell).
   */
  private giveSpares(p: WeftProcess): void {
    const mi = p.opts.info.memoryImport;
    if (!p.memory || !mi?.shared || mi.maximum === undefined || !p.opts.info.functionImports.some((n) => n.endsWith('.proc_fork'))) return;
    let held = this.spares.get(p) ?? 0;
    if (held >= MAX_SPARES) return;
    const pages = sizeOf(p.memory);
    for (let mem = this.memories.take(pages, mi.maximum, false); mem; mem = held < MAX_SPARES ? this.memories.take(pages, mi.maximum, false) : undefined) {
      if (!p.giveMemory(mem, pages, mi.maximum)) {
        this.memories.put(mem, mi.maximum);
        break;
      }
      this.recycled.delete(mem);
      held++;
    }
    this.spares.set(p, held);
  }

  /** A recycled memory for a program exec/spawn starts, when one of its size is free (else it gets a new one). */
  private newMemory(info: ModuleInfo): WebAssembly.Memory | undefined {
    const mi = info.memoryImport;
    const mem = mi?.shared && mi.maximum !== undefined ? this.memories.take(mi.initial, mi.maximum) : undefined;
    if (mem) this.recycled.delete(mem);
    return mem;
  }

  /**
   * Closes every fd of a process that is gone: a description no other fd refers to loses the table's hold,
   * and is released here (backend handle closed, stream object dropped) unless a call still pins it.
   */
  private closeFds(row: number, ctl?: Control): void {
    if (ctl) this.dropPins(ctl);
    const fds = new FdTable(this.base.kernel.fdSab, row);
    fds.closeAllReleasing((db) => this.releaseDesc(fds, db));
  }

  /**
   * Drops the holds of calls the process's threads were in when their workers were terminated (a
   * SIGKILL-ed worker blocked in accept or recv): otherwise its descriptions, and their host sockets,
   * would never be released. Call once every worker of the process is gone.
   */
  private dropPins(ctl: Control): void {
    const fds = new FdTable(this.base.kernel.fdSab);
    for (let s = 0; s < ctl.layout.slots; s++) {
      const pinned = Atomics.exchange(ctl.i32, ctl.slotIndex(s, Slot.PIN), 0);
      if (pinned > 0 && fds.unhold(pinned - 1)) this.releaseDesc(fds, pinned - 1);
    }
  }

  /** Releases what a description held (its last hold is gone), then frees it. */
  private releaseDesc(fds: FdTable, db: number): void {
    const i = fds.i32;
    try {
      const kind = i[db + Desc.KIND]!;
      if (kind === FdKind.FILE || kind === FdKind.DIR) {
        closeDescHandles(i, db, this.backend(i[db + Desc.BACKEND]!));
      } else if ((kind === FdKind.PIPE || kind === FdKind.EVENT) && this.objects) {
        this.objects.releaseObject(i[db + Desc.OBJECT]!, i[db + Desc.HANDLE]!);
      } else if (kind === FdKind.SOCKET && this.net) {
        // The last process holding it ended: the owner closes the host socket (no waiting here).
        this.net.state.release(i[db + Desc.OBJECT]!, !!this.base.net && !this.base.netRemoteOnly);
      } else if (kind === FdKind.EPOLL && this.net) {
        this.net.state.freeEpoll(i[db + Desc.OBJECT]!);
      }
    } catch {
      // a handle that is already gone
    } finally {
      fds.freeDesc(db);
    }
  }

  private backend(i: number): FsBackend {
    let b = this.backends[i];
    if (!b) {
      const p = this.base.kernel.preopens[i];
      if (!p) throw new Error(`no preopen ${i}`);
      b = this.backends[i] = this.host.openBackend(p.backend);
    }
    return b;
  }
}

/**
 * A 32-bit FNV-1a-style hash of the bytes, a word at a time (the compile cache's key, with the length):
 * 4x fewer steps than per byte, which matters while the function is not optimised yet (a cold 1 MB hash
 * per byte took ~30 ms).
 */
function contentHash(b: Uint8Array): number {
  let h = 0x811c9dc5;
  const words = b.byteLength >>> 2;
  const w = (b.byteOffset & 3) === 0 ? new Int32Array(b.buffer, b.byteOffset, words) : new Int32Array(b.slice(0, words * 4).buffer);
  for (let i = 0; i < words; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
  for (let i = words * 4; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}
