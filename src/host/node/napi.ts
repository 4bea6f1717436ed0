import type { KernelConfig } from '../../kernel/config.js';
import { ProcExit, ThreadKilled } from '../../kernel/exits.js';
import { syscallSignature } from '../../abi/syscalls.js';
import { Kernel } from '../../kernel/kernel.js';
import { createChannel } from '../../kernel/shared/channel.js';
import { Ctl } from '../../kernel/shared/control-block.js';
import { builtin } from './builtins.js';
import { outlineEveryCompile } from './outline-compiles.js';
import { NodeThreadHost } from './thread-host.js';
import { type BoundSyscall, createProcess, WasiCore } from './wasi-core.js';
import type { ImportFn, WASIOptions } from './options.js';

/**
 * The worker_threads environment-data key under which main-thread napi WASIs publish their processes.
 * Node copies environment data into every Worker started afterwards (and their Workers), so a WASI built
 * in an addon's worker finds the process its main thread created.
 */
const ENV_KEY = 'weft:napi:process';

/**
 * What ENV_KEY holds: `pinned`, the process of the loader that started this Worker (set by the register
 * hook just before it constructs the Worker: exact); else every main-thread process by its loader's file,
 * newest last, for the Worker's WASI to pick by its own constructor's file.
 */
interface Published {
  pinned?: KernelConfig | undefined;
  loaders: [file: string | undefined, cfg: KernelConfig][];
}

const published: Published = { loaders: [] };
const MAX_PUBLISHED = 16;

/**
 * Which main-thread process a Worker's WASI joins when no hook pinned one: the loader whose file is the
 * WASI constructor's own file, else the one sharing the most leading directories with it (an addon's
 * worker script sits in its package beside its loader: `pkg.wasi.cjs` and `wasi-worker.mjs`), newest on a
 * tie; the newest process when the constructor's file is unknown.
 */
export function pickProcess<T>(loaders: readonly (readonly [string | undefined, T])[], file: string | undefined): T | undefined {
  let best: T | undefined, bestScore = -1;
  const dirs = (f: string): string[] => f.split('/').slice(0, -1);
  const mine = file === undefined ? undefined : dirs(file);
  for (const [loader, cfg] of loaders) {
    let score = 0;
    if (mine && loader !== undefined) {
      if (loader === file) score = Number.MAX_SAFE_INTEGER;
      else {
        const theirs = dirs(loader);
        while (score < mine.length && score < theirs.length && mine[score] === theirs[score]) score++;
      }
    }
    if (score >= bestScore) {
      best = cfg;
      bestScore = score;
    }
  }
  return best;
}

/** Processes created by main-thread WASI objects, by the file that constructed them (the addon's loader). */
const byLoader = new Map<string, KernelConfig>();
const ownFile = import.meta.url;

/** The first file in a stack trace that is not weft's own (nor Node's): who called `new WASI`/`new Worker`. */
function callerFile(stack: string | undefined, skip: readonly string[] = []): string | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const m = /\(?([^()\s]+):\d+:\d+\)?$/.exec(line.trim());
    const file = m?.[1];
    if (!file || file.startsWith('node:') || file === ownFile || skip.includes(file)) continue;
    return file;
  }
  return undefined;
}

/**
 * Called when a Worker is about to start (weft/napi/register wraps the Worker constructor): when the code
 * starting it is an addon loader that created a process, the Worker inherits that process (environment
 * data is copied into a Worker when it is constructed), not merely the last one created.
 */
export function publishProcessFor(stack: string | undefined, skip: readonly string[]): void {
  const file = callerFile(stack, skip);
  published.pinned = file === undefined ? undefined : byLoader.get(file);
  builtin('worker_threads').setEnvironmentData(ENV_KEY, published);
}

/** proc_exit from any thread of a napi process: thrown to the JS caller of the wasm function. */
export class WASIExitError extends Error {
  constructor(readonly code: number) {
    super(`the WebAssembly module called proc_exit(${code})`);
    this.name = 'WASIExitError';
  }
}

/**
 * A `node:wasi`-compatible WASI for napi-rs `*-wasm32-wasi` addons (loaded by @napi-rs/wasm-runtime and
 * @emnapi), whose threads each build their own WASI object. The first one, in the main thread, creates a
 * weft process (fd table, preopens, exit state in SharedArrayBuffers); one built in a Worker started after
 * it attaches to that process instead of creating its own, ignoring its options (the process's env,
 * args and preopens apply). So a file opened in one thread is an fd in every thread, and proc_exit in any
 * thread ends them all: it marks the process exited, and every call into WASI from then on throws
 * WASIExitError, unwinding that thread without ending Node.
 */
export class WASI {
  readonly wasiImport: Record<string, ImportFn>;
  /** True when this object joined a process created in another thread. */
  readonly attached: boolean;
  private readonly core: WasiCore;

  constructor(options: WASIOptions = {}) {
    // napi-rs wasm32-wasi addons are threaded (shared memory, atomic waits in every lock): on Node 20 their
    // waits must be outlined (outline-compiles.ts) before the addon's loader compiles the module, which
    // @napi-rs/wasm-runtime and @emnapi/core do after building this object; their Workers get the compiled
    // module. (weft/napi/register does it earlier still, at --import.)
    outlineEveryCompile();
    const wt = builtin('worker_threads');
    // Who constructs this WASI: in the main thread the addon's loader, whose Workers join this process
    // (publishProcessFor); in a Worker the addon's worker script (pickProcess).
    const caller = callerFile(new Error().stack);
    let shared: KernelConfig | undefined;
    this.core = new WasiCore(options, {
      kernel: (trace) => {
        if (!wt.isMainThread) {
          const env = wt.getEnvironmentData(ENV_KEY) as Published | undefined;
          shared = env && (env.pinned ?? pickProcess(env.loaders, caller));
        }
        const cfg = shared ?? createProcess(options, trace.enabled, performance.timeOrigin);
        // The main thread's process is inherited by Workers started from now on.
        if (!shared && wt.isMainThread) {
          published.pinned = undefined;
          // A loader that builds a new WASI replaces its last one; at most MAX_PUBLISHED (copied into every Worker).
          published.loaders = published.loaders.filter(([f]) => f === undefined || f !== caller).slice(-(MAX_PUBLISHED - 1));
          published.loaders.push([caller, cfg]);
          wt.setEnvironmentData(ENV_KEY, published);
          if (caller !== undefined) byLoader.set(caller, cfg);
        }
        const k = new Kernel(cfg, new NodeThreadHost(undefined, trace.fd), 0, createChannel());
        k.tid = wt.threadId + 1;
        return k;
      },
      // The kernel's boundary already unwinds a call made while the process exits (ThreadKilled); the JS
      // caller of the wasm function gets a WASIExitError instead of a weft-internal sentinel.
      wrap: (bound, name, k) => exitsAsErrors(bound, syscallSignature('wasi_snapshot_preview1', name)?.params.length, k.ctl.i32),
      exitCodeOf: (e) => (e instanceof WASIExitError ? e.code : undefined),
    });
    this.wasiImport = this.core.wasiImport;
    this.attached = !!shared;
    // node:wasi's private hooks, which @emnapi/wasi-threads looks up by description for `_start` modules.
    const k = this.core.kernel;
    const self = this as unknown as Record<symbol, unknown>;
    self[Symbol('kSetMemory')] = (m: WebAssembly.Memory) => k.setMemory(m);
    self[Symbol('kInstance')] = undefined;
    self[Symbol('kStarted')] = false;
  }

  /** The exit code once any thread of the process called proc_exit, else undefined. */
  get exitCode(): number | undefined {
    const i = this.core.kernel.ctl.i32;
    return Atomics.load(i, Ctl.EXITING) !== 0 ? Atomics.load(i, Ctl.EXIT_CODE) : undefined;
  }

  getImportObject(): { wasi_snapshot_preview1: Record<string, ImportFn> } {
    return { wasi_snapshot_preview1: this.wasiImport };
  }

  /**
   * Runs a command's `_start`; returns its exit code (0 when `_start` returns). `instance` is a
   * WebAssembly.Instance, typed `object` as in @types/node's WASI: WebAssembly's types need the DOM lib.
   */
  start(instance: object): number {
    return this.core.start(instance as WebAssembly.Instance);
  }

  /** Initialises a reactor (calls `_initialize` if exported): what napi-rs addons are. */
  initialize(instance: object): void {
    this.core.initialize(instance as WebAssembly.Instance);
  }
}

/**
 * Wraps a bound syscall so the exit sentinels reach the wasm function's JS caller as WASIExitError. Same
 * arity as the syscall (preview1 calls take at most 9 arguments): no rest array on the call path.
 */
function exitsAsErrors(f: BoundSyscall, arity: number | undefined, ctl: Int32Array): ImportFn {
  const fail = (e: unknown): never => {
    if (e instanceof ProcExit || e instanceof ThreadKilled) throw new WASIExitError(Atomics.load(ctl, Ctl.EXIT_CODE));
    throw e;
  };
  type U = unknown;
  switch (arity) {
    case 0: return () => { try { return f(); } catch (e) { return fail(e); } };
    case 1: return (a: U) => { try { return f(a); } catch (e) { return fail(e); } };
    case 2: return (a: U, b: U) => { try { return f(a, b); } catch (e) { return fail(e); } };
    case 3: return (a: U, b: U, c: U) => { try { return f(a, b, c); } catch (e) { return fail(e); } };
    case 4: return (a: U, b: U, c: U, d: U) => { try { return f(a, b, c, d); } catch (e) { return fail(e); } };
    case 5: return (a: U, b: U, c: U, d: U, e5: U) => { try { return f(a, b, c, d, e5); } catch (e) { return fail(e); } };
    case 6: return (a: U, b: U, c: U, d: U, e5: U, f6: U) => { try { return f(a, b, c, d, e5, f6); } catch (e) { return fail(e); } };
    default: return (...args: U[]) => { try { return f(...args); } catch (e) { return fail(e); } };
  }
}
