// TEMPORARY instrumentation (not committed)
const on = !!(globalThis as any).process?.env?.WEFT_T;
export function tm(label: string): void {
  if (on) (globalThis as any).process._rawDebug(`T ${(performance.timeOrigin + performance.now()).toFixed(2)} ${label}`);
}
export const tmOn = on;
