import { outlineWaits } from '../../abi/wait-outline.js';
import { scanBinary } from '../../abi/wasm-module.js';
import { builtin } from './builtins.js';

let applied = false;

/** Does this V8 have Liftoff's atomic-wait miscompilation (V8 before 12.4: Node 20)? */
function liftoffMiscompilesWaits(): boolean {
  const [major, minor] = process.versions.v8.split('.').map(Number) as [number, number];
  return major < 12 || (major === 12 && minor < 4);
}

/**
 * Node 20's V8 (11.3) Liftoff tier miscompiles code around memory.atomic.wait32/64 (a local holding a
 * call result reads back as 0; wait loops never exit). V8 12.4 (Node 22) is fixed. On affected engines,
 * turn Liftoff off before compiling a threaded module whose waits could not be outlined (or one weft
 * does not compile itself: napi addons); flags are process-wide, so workers inherit it.
 */
export function prepareEngineForThreads(): void {
  if (applied) return;
  applied = true;
  if (liftoffMiscompilesWaits()) builtin('v8').setFlagsFromString('--no-liftoff');
}

/** Is any threaded module compiled from now on safe (the engine is fixed, or Liftoff is off)? */
export function engineReadyForThreads(): boolean {
  return applied || !liftoffMiscompilesWaits();
}

/**
 * The bytes to compile for a module: on an affected engine with Liftoff still on, a threaded module (a
 * shared memory) with its waits outlined (abi/wait-outline.ts: safe under Liftoff, which starts a large
 * program's code far sooner than TurboFan), or, where that cannot be done, the same bytes after Liftoff is
 * turned off; any other module (and bytes no module reader understands: the engine reports them) as given.
 */
export function bytesToCompile(bytes: Uint8Array): Uint8Array {
  if (engineReadyForThreads()) return bytes;
  try {
    if (!scanBinary(bytes).memoryImport?.shared) return bytes;
  } catch {
    return bytes;
  }
  const outlined = outlineWaits(bytes);
  if (outlined) return outlined;
  prepareEngineForThreads();
  return bytes;
}
