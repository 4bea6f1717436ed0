import { WasiError, toErrno } from '../../abi/errno.js';

/** Turn anything a node:fs call threw into a WasiError (Node `code`s mapped by toErrno). */
export function hostError(e: unknown): WasiError {
  if (e instanceof WasiError) return e;
  return new WasiError(toErrno(e), e instanceof Error ? e.message : String(e));
}

/** Runs a node:fs call, its failure mapped by hostError. */
export function hostCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw hostError(e);
  }
}
