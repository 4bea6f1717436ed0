// The syscall tables against the spec lists (src/abi/syscall-names.ts, from the preview1 and WASIX witx):
// every name we serve exists in its module's list, its declared kind fits the signature, and its body
// takes exactly the parameters the import passes (the compiler checks their types: typed-seam.test.mjs).
// A name no list has is an unknown import (see imports.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSCALL_SPEC, syscallSignature } from '../dist/abi/syscalls.js';
import { namespaces, bindSyscall } from '../dist/kernel/imports.js';
import { Kernel } from '../dist/kernel/kernel.js';
import { Control } from '../dist/kernel/shared/control-block.js';
import { createChannel } from '../dist/kernel/shared/channel.js';
import { createFdTable } from '../dist/kernel/setup.js';
import { Desc, MAX_FDS } from '../dist/kernel/shared/fd-table.js';
import { WasixState } from '../dist/kernel/shared/wasix-state.js';
import { errno } from '../dist/kernel/syscalls/types.js';
import { watFile } from './helpers/wat.mjs';
import { weft } from './helpers/run.mjs';

const host = {
  post() {}, writeStdio: () => 0, readStdioSync: () => 0, openBackend() { throw new Error('no backends'); },
  randomFill() {}, cpuCount: () => 1, processCpuTimeNs: () => 0, threadCpuTimeNs: () => 0, log() {},
};

function kernel(wasix, threadHost = host) {
  const stdio = [{ kind: 'null' }, { kind: 'null' }, { kind: 'null' }];
  const fds = createFdTable(stdio, [], () => undefined);
  const cfg = {
    args: [], env: [], stdio, preopens: [], ctlSab: Control.create(1).sab, fdSab: fds.sab, maxThreads: 1,
    clockBaseMs: performance.timeOrigin, trace: false, hasThreadStart: false, usesWasix: wasix,
    wasixSab: wasix ? WasixState.create().sab : undefined,
  };
  return new Kernel(cfg, threadHost, 0, createChannel());
}

/** Problems of a set of tables against the spec lists (empty when all is well). */
function problems(tables) {
  const out = [];
  for (const [mod, table] of Object.entries(tables)) {
    if (!SYSCALL_SPEC[mod]) out.push(`${mod}: not a module of any spec we follow`);
    for (const [name, entry] of Object.entries(table)) {
      const sig = syscallSignature(mod, name);
      if (!sig) {
        out.push(`${mod}.${name}: not in the witx lists`);
        continue;
      }
      const fn = typeof entry === 'function' ? entry : entry.fn;
      const kind = typeof entry === 'function' ? undefined : entry.kind;
      if (kind === undefined) out.push(`${mod}.${name}: declares no kind`);
      if (sig.result === 'none' && kind !== 'void' && kind !== 'ends') out.push(`${mod}.${name}: no result but kind ${kind}`);
      if (sig.result !== 'none' && (kind === 'void' || kind === 'ends')) out.push(`${mod}.${name}: returns ${sig.result} but kind ${kind}`);
      if (fn.length !== sig.params.length) out.push(`${mod}.${name}: body takes ${fn.length} params, import passes ${sig.params.length}`);
      if (kind !== undefined && entry.arity !== fn.length) out.push(`${mod}.${name}: arity ${entry.arity}, body takes ${fn.length}`);
    }
  }
  return out;
}

test('every syscall in our preview1 and wasi-threads tables is a witx name, with a fitting kind and arity', () => {
  const tables = namespaces(kernel(false));
  assert.deepEqual(problems(tables), []);
  // All 46 preview1 imports of the witx list are served (none left to ENOSYS).
  const missing = Object.keys(SYSCALL_SPEC.wasi_snapshot_preview1).filter((n) => !(n in tables.wasi_snapshot_preview1));
  assert.deepEqual(missing, []);
});

test('every syscall in our WASIX tables is a witx name, with a fitting kind and arity', () => {
  const tables = namespaces(kernel(true));
  assert.ok(Object.keys(tables.wasix_32v1).length > 70);
  assert.deepEqual(problems(tables), []);
});

test('the check catches a misspelt name, an undeclared kind and a wrong kind', () => {
  const bad = {
    wasi_snapshot_preview1: { fd_wirte: errno(() => 0), fd_close: () => 0, proc_exit: errno(() => 0) },
    wasix_32v1: { thread_spawn_v3: errno(() => 0) },
  };
  assert.deepEqual(problems(bad), [
    'wasi_snapshot_preview1.fd_wirte: not in the witx lists',
    'wasi_snapshot_preview1.fd_close: declares no kind',
    'wasi_snapshot_preview1.fd_close: body takes 0 params, import passes 1',
    'wasi_snapshot_preview1.proc_exit: no result but kind errno',
    'wasi_snapshot_preview1.proc_exit: body takes 0 params, import passes 1',
    'wasix_32v1.thread_spawn_v3: not in the witx lists',
  ]);
});

test('the boundary: thrown errors become errnos, exits unwind', () => {
  const k = kernel(false);
  const thrower = bindSyscall(k, 'wasi_snapshot_preview1', 'fd_close', errno((fd) => {
    throw Object.assign(new Error('gone'), { code: 'EBADF', fd });
  }));
  assert.equal(thrower(3), 8); // EBADF
  assert.equal(thrower.length, 1);
  // wasi.thread-spawn reports failures as negated errnos.
  const spawn = bindSyscall(k, 'wasi', 'thread-spawn', errno(() => {
    throw Object.assign(new Error('x'), { code: 'EAGAIN' });
  }));
  assert.equal(spawn(0), -6);
  // Once the process is exiting, any call unwinds the thread instead of running.
  let ran = false;
  const probe = bindSyscall(k, 'wasi_snapshot_preview1', 'sched_yield', errno(() => {
    ran = true;
    return 0;
  }));
  k.ctl.claimExit(0);
  assert.throws(() => probe(), (e) => e?.constructor?.name === 'ThreadKilled');
  assert.equal(ran, false);
});

test('the boundary: an unexpected exception is EIO, reported with its syscall; only a guest fault is EFAULT', () => {
  const lines = [];
  const k = kernel(false, { ...host, log: (line) => lines.push(line) });
  k.setMemory(new WebAssembly.Memory({ initial: 1 }));
  const reports = () => lines.filter((l) => /unexpected exception/.test(l));
  const bug = bindSyscall(k, 'wasi_snapshot_preview1', 'fd_sync', errno(() => {
    throw new TypeError('a bug in weft');
  }));
  assert.equal(bug(1), 29); // EIO
  assert.equal(reports().length, 1);
  assert.match(reports()[0], /unexpected exception in wasi_snapshot_preview1\.fd_sync, returned EIO.*TypeError: a bug in weft/s);
  assert.equal(bug(1), 29);
  assert.equal(reports().length, 1, 'only the first is reported without --trace');
  // A JS stack overflow, or any RangeError of host code, is no guest fault.
  const deep = (n) => deep(n + 1) + 1;
  assert.equal(bindSyscall(k, 'wasi_snapshot_preview1', 'fd_datasync', errno(() => deep(0)))(1), 29);
  assert.equal(bindSyscall(k, 'wasi_snapshot_preview1', 'fd_advise', errno(() => new ArrayBuffer(-1).byteLength))(1, 0n, 0n, 0), 29);
  // A guest pointer out of bounds is EFAULT (GuestMemory's check), and nothing to report.
  const p1 = namespaces(k).wasi_snapshot_preview1;
  assert.equal(bindSyscall(k, 'wasi_snapshot_preview1', 'fd_fdstat_get', p1.fd_fdstat_get)(1, 65536 - 8), 21);
  assert.equal(bindSyscall(k, 'wasi_snapshot_preview1', 'clock_time_get', p1.clock_time_get)(1, 0n, -4), 21);
  assert.equal(reports().length, 1);
  // Under --trace every unexpected exception is logged, with its stack.
  k.cfg.trace = true;
  assert.equal(bug(1), 29);
  assert.equal(reports().length, 2);
  assert.match(reports()[1], /\n\s+at /);
});

test('names no spec defines, even in the WASI/WASIX namespaces, are unknown imports (named before _start)', async () => {
  const file = await watFile(`(module
    (import "wasi_snapshot_preview1" "fd_wirte" (func $bad (param i32) (result i32)))
    (import "wasix_32v1" "no_such_call" (func $bad2 (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (if (i32.ne (call $bad (i32.const 1)) (i32.const 52)) (then (call $exit (i32.const 1))))
      (if (i32.ne (call $bad2) (i32.const 52)) (then (call $exit (i32.const 2))))
      (call $exit (i32.const 7))))`, 'enosys');
  const r = await weft(['run', file]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /unknown imports: wasi_snapshot_preview1\.fd_wirte, wasix_32v1\.no_such_call \(/);
  const allowed = await weft(['run', '--allow-unknown-imports', file]);
  assert.equal(allowed.code, 134, allowed.stderr);
  assert.match(allowed.stderr, /trap: unknown import wasi_snapshot_preview1\.fd_wirte was called/);
});

test('descriptions are released (slots reusable) after closes, a failed fd_pipe and a renumber', () => {
  const k = kernel(true);
  k.setMemory(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
  const wx = namespaces(k).wasix_32v1;
  const call = (name, ...a) => bindSyscall(k, 'wasix_32v1', name, wx[name])(...a);
  const dv = new DataView(k.mem.memory.buffer);
  const liveDescs = () => {
    let n = 0;
    for (let d = 0; d < MAX_FDS; d++) if (Atomics.load(k.fds.i32, k.fds.descAt(d) + Desc.HOLDS) !== 0) n++;
    return n;
  };
  assert.equal(liveDescs(), 3); // stdio
  const dups = [];
  while (call('fd_dup', 1, 16) === 0) dups.push(dv.getUint32(16, true));
  assert.equal(call('fd_close', dups.pop()), 0); // one free fd: fd_pipe inserts one end, then fails
  assert.equal(call('fd_pipe', 16, 20), 33); // EMFILE
  for (const fd of dups) assert.equal(call('fd_close', fd), 0);
  assert.equal(call('fd_pipe', 16, 20), 0);
  const [a, b] = [dv.getUint32(16, true), dv.getUint32(20, true)];
  assert.equal(liveDescs(), 5);
  assert.equal(call('fd_renumber', a, b), 0); // closes b's description
  assert.equal(liveDescs(), 4);
  assert.equal(call('fd_close', b), 0);
  // WASIX fd_renumber is dup2 (wasix-libc's dup2, as in Wasmer): `a` is still open, on the same description
  assert.equal(liveDescs(), 4);
  assert.equal(call('fd_close', a), 0);
  assert.equal(liveDescs(), 3, 'every description released');
});
