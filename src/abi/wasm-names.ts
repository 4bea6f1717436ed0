/**
 * Function names from a module's "name" custom section (its function-names subsection, id 1), for trap
 * reports. Indices are in the function index space (imports first), as V8's `wasm-function[N]` frames.
 */
export function functionNames(module: WebAssembly.Module): Map<number, string> {
  const names = new Map<number, string>();
  for (const section of WebAssembly.Module.customSections(module, 'name')) {
    try {
      parseNameSection(new Uint8Array(section), names);
    } catch {
      // a malformed name section only costs the names
    }
  }
  return names;
}

function parseNameSection(b: Uint8Array, out: Map<number, string>): void {
  let p = 0;
  const u32 = (): number => {
    let result = 0, shift = 0, byte: number;
    do {
      if (p >= b.length) throw new Error('truncated');
      byte = b[p++]!;
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  };
  const decoder = new TextDecoder();
  while (p < b.length) {
    const id = b[p++]!;
    const size = u32();
    const end = p + size;
    if (id === 1) {
      const count = u32();
      for (let i = 0; i < count && p < end; i++) {
        const index = u32();
        const len = u32();
        out.set(index, decoder.decode(b.subarray(p, p + len)));
        p += len;
      }
    }
    p = end;
  }
}
