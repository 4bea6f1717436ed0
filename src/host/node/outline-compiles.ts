/**
 * For weft/napi on Node 20: napi-rs addons' loaders compile their threaded module themselves
 * (`new WebAssembly.Module(bytes)`, `WebAssembly.compile`/`instantiate`), so weft cannot hand them rewritten
 * bytes the way run() does. Instead, on an engine with Liftoff's atomic-wait miscompilation (engine.ts),
 * WebAssembly's compile entry points are wrapped: a module with a shared memory is compiled with its waits
 * outlined (abi/wait-outline.ts), and Liftoff stays on, as it does for node:wasi (turning it off made the
 * first calls of a large addon wait for TurboFan: rolldown's wasm is ~10 MB). A module the outliner cannot
 * read turns Liftoff off for the process, as before; any other module is compiled as given.
 */
import { bytesToCompile, engineReadyForThreads } from './engine.js';

/**
 * Marks WebAssembly as wrapped, for every copy of this module in the thread: weft/napi/register and
 * weft/napi are separate bundles, each with its own copy; wrapped twice, every compile outlined twice
 * (~70 ms more for rolldown's 10 MB module).
 */
const WRAPPED = Symbol.for('weft.outlineCompiles');

/** The bytes of a BufferSource (a view of them, not a copy); undefined for anything else. */
function asBytes(src: unknown): Uint8Array | undefined {
  if (src instanceof ArrayBuffer || src instanceof SharedArrayBuffer) return new Uint8Array(src);
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  return undefined;
}

/** What to compile instead of `src`: the same source unless it is a threaded module (then outlined). */
function forCompile(src: unknown): unknown {
  const bytes = asBytes(src);
  return bytes ? bytesToCompile(bytes) : src;
}

/** Wraps WebAssembly's compile entry points (once per thread, on affected engines only). */
export function outlineEveryCompile(): void {
  const W = WebAssembly as unknown as Record<string | symbol, unknown>;
  if (W[WRAPPED] === true || engineReadyForThreads()) return;
  W[WRAPPED] = true;
  // A Proxy keeps `instanceof WebAssembly.Module` true for modules made elsewhere (posted from a thread).
  W['Module'] = new Proxy(WebAssembly.Module, {
    construct: (target, args: unknown[], newTarget) => Reflect.construct(target, [forCompile(args[0]), ...args.slice(1)], newTarget) as object,
  });
  const compile = WebAssembly.compile;
  W['compile'] = (src: BufferSource, ...rest: unknown[]) => Reflect.apply(compile, WebAssembly, [forCompile(src), ...rest]) as Promise<WebAssembly.Module>;
  const instantiate = WebAssembly.instantiate;
  W['instantiate'] = (src: unknown, ...rest: unknown[]) =>
    Reflect.apply(instantiate, WebAssembly, [src instanceof WebAssembly.Module ? src : forCompile(src), ...rest]) as unknown;
  // The streaming forms compile what they fetched through the wrapped forms (no streaming compile, no
  // MIME check: a loader on Node reads files, not responses).
  W['compileStreaming'] = async (src: Response | PromiseLike<Response>) => WebAssembly.compile(await (await src).arrayBuffer());
  W['instantiateStreaming'] = async (src: Response | PromiseLike<Response>, imports?: WebAssembly.Imports) =>
    WebAssembly.instantiate(await (await src).arrayBuffer(), imports);
}
