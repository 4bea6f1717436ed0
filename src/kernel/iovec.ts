/** Helpers over iovec lists (the checked guest views GuestMemory.iovecs returns). */

/** Total bytes of the iovecs. */
export function iovBytes(iovs: Uint8Array[]): number {
  let n = 0;
  for (const v of iovs) n += v.length;
  return n;
}

/** The iovecs' bytes in one new buffer (always a copy: safe to keep or transfer). */
export function concatIovecs(iovs: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(iovBytes(iovs));
  let at = 0;
  for (const v of iovs) {
    out.set(v, at);
    at += v.length;
  }
  return out;
}

/** The iovecs' bytes as one buffer for a single backend write; a lone iovec is returned as is (no copy). */
export function gather(iovs: Uint8Array[]): Uint8Array {
  return iovs.length === 1 ? iovs[0]! : concatIovecs(iovs);
}

/** Scatters src over iovecs; returns bytes copied. */
export function scatter(iovs: Uint8Array[], src: Uint8Array): number {
  let at = 0;
  for (const iov of iovs) {
    if (at >= src.length) break;
    const n = Math.min(iov.length, src.length - at);
    iov.set(src.subarray(at, at + n));
    at += n;
  }
  return at;
}
