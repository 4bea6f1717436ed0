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
 * turn Liftoff off before compiling a threaded module; flags are process-wide, so workers inherit it.
 */
export function prepareEngineForThreads(): void {
  if (applied) return;
  applied = true;
  if (liftoffMiscompilesWaits()) builtin('v8').setFlagsFromString('--no-liftoff');
}

/** Is a module compiled from now on safe to run threaded (the engine is fixed, or was prepared)? */
export function engineReadyForThreads(): boolean {
  return applied || !liftoffMiscompilesWaits();
}
