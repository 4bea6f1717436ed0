/** What the JS agent running this code may do, probed once per agent (no host APIs: both hosts, any layer). */

let parkable: boolean | undefined;

/**
 * Whether this agent may block in Atomics.wait: false on a browser page's main thread, where it throws.
 * Probed once per agent on a private word (0, so a permitted wait returns "not-equal" at once).
 */
export function mayPark(): boolean {
  if (parkable === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      parkable = true;
    } catch {
      parkable = false;
    }
  }
  return parkable;
}
