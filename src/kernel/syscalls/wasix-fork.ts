import { Errno } from '../../abi/errno.js';
import { StackSnapshot, WasixSignal } from '../../abi/wasix.js';
import type { Kernel } from '../kernel.js';
import type { Resumable, Snapshot } from '../resume.js';
import type { WasixState } from '../shared/wasix-state.js';
import { errno, voidCall, type WasixTable } from './types.js';
import type { ProcessTree } from './wasix-tree.js';

/**
 * wasix_32v1 calls that capture the thread's stack with asyncify (see ../resume.ts): fork (the child is
 * this process's memory, fds and WASIX state copied, resumed in a new process by the coordinator) and
 * setjmp/longjmp (stack_checkpoint/stack_restore).
 */
export function wasixForkSyscalls(k: Kernel, st: WasixState, tree: ProcessTree): WasixTable {
  const proc = k.cfg.proc;

  /** Runs after proc_fork's unwind: the stack is in the asyncify buffer, so memory now holds all of it. */
  const forkAfterUnwind = (retPtr: number) => (r: Resumable): (() => number) => {
    const fail = (errno: number) => (): number => errno;
    const { table } = tree;
    if (!table || !proc) return fail(Errno.NOTSUP);
    const inst = k.instance!;
    const sp = inst.exports['__stack_pointer'], tls = inst.exports['__tls_base'];
    const buf = k.mem.memory.buffer as ArrayBuffer | SharedArrayBuffer;
    if (!(sp instanceof WebAssembly.Global) || !(buf instanceof SharedArrayBuffer)) return fail(Errno.NOTSUP);
    const alloc = table.allocate(tree.pid);
    if (!alloc) return fail(Errno.AGAIN);
    const pages = buf.byteLength / 65536;
    const maximum = Math.max(pages, proc.memMax ?? pages);
    // (every byte is copied over it below: a spare needs no clearing)
    const spare = k.host.takeMemory?.(pages, maximum);
    let memory = spare?.memory;
    try {
      memory ??= new WebAssembly.Memory({ initial: pages, maximum, shared: true });
    } catch {
      table.release(alloc.row);
      return fail(Errno.NOMEM);
    }
    new Uint8Array(memory.buffer).set(new Uint8Array(buf));
    k.fds.copyInto(alloc.row, { skipCloexec: false });
    const wasixSab = st.copyForFork();
    tree.post({
      t: 'fork', row: alloc.row, pid: alloc.pid, memory, wasixSab, spares: spare?.left ?? 0,
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
    proc_fork: errno(function proc_fork(_copyMemory: number, retPtr: number) {
      // vfork (copy_memory 0) is a full fork too: the child gets its own copy, which a vfork child that
      // only calls exec or _exit cannot tell apart.
      const r = k.resumable;
      if (r.rewinding()) return r.finish();
      k.mem.sync().check(retPtr, 4);
      if (!tree.table) return Errno.NOTSUP;
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
        const id = res.addSnapshot({ data: m2.u8.slice(res.buf + 8, end), end, sp: (sp?.value as number) ?? 0, retPtr, at: snapPtr });
        m2.setU64(snapPtr + StackSnapshot.user, 0n);
        m2.setU64(snapPtr + StackSnapshot.hash, BigInt(id));
        m2.setU64(snapPtr + StackSnapshot.hash + 8, BigInt(tree.pid) << 32n | BigInt(k.tid >>> 0));
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
        k.fail(e, 'wasix_32v1.stack_restore');
        k.host.log(`weft: thread ${k.tid}: longjmp needs a module built with wasm-opt --asyncify`);
        k.exit(128 + WasixSignal.ABRT);
      }
    }),
  };
}
