/**
 * Walking a module's code: a cursor over the binary and one step over an instruction with all its
 * immediates. Readers that look for particular instructions (abi/thread-reuse.ts, abi/wait-outline.ts)
 * share it, so the instruction set is decoded in one place. An instruction this walker does not know (GC,
 * future proposals) throws `UnknownCode`: a reader then gives up on the module rather than misread it.
 */

export class UnknownCode extends Error {}

export class Cursor {
  constructor(readonly b: Uint8Array, public pos: number) {}
  u8(): number {
    if (this.pos >= this.b.length) throw new UnknownCode('unexpected end of code');
    return this.b[this.pos++]!;
  }
  leb(): number {
    let result = 0, shift = 0, byte: number;
    do {
      byte = this.u8();
      if (shift < 32) result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  }
  /** Skips a LEB128 of any size. */
  skipLeb(): void {
    while (this.u8() & 0x80);
  }
  skip(n: number): void {
    this.pos += n;
  }
  memarg(): void {
    const align = this.leb();
    if (align & 0x40) this.skipLeb(); // multi-memory: a memory index
    this.skipLeb();
  }
  blockType(): void {
    const t = this.b[this.pos];
    if (t === 0x63 || t === 0x64) throw new UnknownCode('typed reference block type'); // GC: not read here
    this.skipLeb();
  }
  /** A LEB128 at `at`, without moving (an instruction's immediate read after `step` passed it). */
  lebAt(at: number): number {
    const keep = this.pos;
    this.pos = at;
    const v = this.leb();
    this.pos = keep;
    return v;
  }
}

/** A prefixed instruction's code as `step` returns it: the prefix byte above its sub-opcode. */
export const prefixed = (prefix: 0xfc | 0xfd | 0xfe, sub: number): number => prefix * 0x10000 + sub;
export const ATOMIC_WAIT32 = prefixed(0xfe, 1);
export const ATOMIC_WAIT64 = prefixed(0xfe, 2);

/** An import's kind (0 function, 1 table, 2 memory, 3 global, 4 tag) and what the readers ask of it. */
export interface ImportEntry {
  kind: number;
  /** A global import: is it mutable. */
  mutable: boolean;
  /** A table or memory import: is it 64-bit. */
  is64: boolean;
}

/** Reads the import section's entries (the cursor at the section's payload). */
export function readImports(c: Cursor): ImportEntry[] {
  const n = c.leb();
  const out: ImportEntry[] = [];
  for (let i = 0; i < n; i++) {
    c.skip(c.leb());
    c.skip(c.leb());
    const e: ImportEntry = { kind: c.u8(), mutable: false, is64: false };
    if (e.kind === 0) c.skipLeb();
    else if (e.kind === 1) { c.u8(); e.is64 = limits(c); }
    else if (e.kind === 2) e.is64 = limits(c);
    else if (e.kind === 3) { c.u8(); e.mutable = c.u8() === 1; }
    else if (e.kind === 4) { c.u8(); c.skipLeb(); }
    else throw new UnknownCode(`import kind ${e.kind}`);
    out.push(e);
  }
  return out;
}

/** Skips a table's or memory's limits; returns whether they are 64-bit. */
export function limits(c: Cursor): boolean {
  const flags = c.u8();
  c.skipLeb();
  if (flags & 1) c.skipLeb();
  return (flags & 4) !== 0;
}

/** Skips a function body's local declarations (the cursor at the body's start). */
export function skipLocals(c: Cursor): void {
  const groups = c.leb();
  for (let i = 0; i < groups; i++) {
    c.skipLeb();
    const t = c.u8();
    if (t === 0x63 || t === 0x64) throw new UnknownCode('typed reference local');
  }
}

/**
 * Moves the cursor past one instruction and its immediates; returns its opcode (a prefixed one as
 * `prefixed(prefix, sub)`). Immediates a reader wants are read back from the instruction's start.
 */
export function step(c: Cursor): number {
  const op = c.u8();
  if (op >= 0x45 && op <= 0xc4) return op; // numeric, no immediates
  if (op >= 0x28 && op <= 0x3e) { c.memarg(); return op; }
  switch (op) {
    case 0x00: case 0x01: case 0x05: case 0x0a: case 0x0b: case 0x0f: case 0x19: case 0x1a: case 0x1b:
    case 0xd1: case 0xd3: case 0xd5:
      return op;
    case 0x02: case 0x03: case 0x04: case 0x06:
      c.blockType();
      return op;
    case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x14: case 0x15: case 0x18:
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
    case 0x10: case 0x12: case 0xd2: case 0xd4: case 0xd6: case 0x3f: case 0x40: case 0x41: case 0x42:
      c.skipLeb();
      return op;
    case 0x11: case 0x13:
      c.skipLeb();
      c.skipLeb();
      return op;
    case 0x0e: {
      const n = c.leb();
      for (let i = 0; i <= n; i++) c.skipLeb();
      return op;
    }
    case 0x1c: {
      const n = c.leb();
      for (let i = 0; i < n; i++) {
        const t = c.u8();
        if (t === 0x63 || t === 0x64) throw new UnknownCode('typed reference select');
      }
      return op;
    }
    case 0x1f: {
      c.blockType();
      const n = c.leb();
      for (let i = 0; i < n; i++) {
        const kind = c.u8();
        if (kind <= 1) c.skipLeb();
        c.skipLeb();
      }
      return op;
    }
    case 0x43:
      c.skip(4);
      return op;
    case 0x44:
      c.skip(8);
      return op;
    case 0xd0: {
      const t = c.b[c.pos];
      if (t === 0x63 || t === 0x64) throw new UnknownCode('typed reference');
      c.skipLeb();
      return op;
    }
    case 0xfc:
      return prefixed(0xfc, prefixFC(c));
    case 0xfd:
      return prefixed(0xfd, prefixFD(c));
    case 0xfe:
      return prefixed(0xfe, prefixFE(c));
    default:
      throw new UnknownCode(`opcode 0x${op.toString(16)}`);
  }
}

function prefixFC(c: Cursor): number {
  const sub = c.leb();
  if (sub <= 7) return sub; // saturating truncations
  switch (sub) {
    case 8: case 10: case 12: case 14: c.skipLeb(); c.skipLeb(); return sub; // memory.init, memory.copy, table.init, table.copy
    case 9: case 11: case 13: case 15: case 16: case 17: c.skipLeb(); return sub; // data.drop, memory.fill, elem.drop, table.grow/size/fill
    default: throw new UnknownCode(`opcode 0xfc ${sub}`);
  }
}

function prefixFD(c: Cursor): number {
  const sub = c.leb();
  if (sub <= 11 || sub === 92 || sub === 93) { c.memarg(); return sub; }
  if (sub === 12 || sub === 13) { c.skip(16); return sub; }
  if (sub >= 21 && sub <= 34) { c.skip(1); return sub; }
  if (sub >= 84 && sub <= 91) { c.memarg(); c.skip(1); return sub; }
  if (sub <= 0xff || (sub >= 0x100 && sub <= 0x113)) return sub; // plain SIMD and relaxed SIMD: no immediates
  throw new UnknownCode(`opcode 0xfd ${sub}`);
}

function prefixFE(c: Cursor): number {
  const sub = c.leb();
  if (sub === 3) { c.skip(1); return sub; } // atomic.fence
  if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) { c.memarg(); return sub; }
  throw new UnknownCode(`opcode 0xfe ${sub}`);
}
