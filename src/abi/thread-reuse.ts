/**
 * Can a pooled worker run a later thread on the instance an earlier thread used (instead of a fresh one)?
 *
 * A wasm instance's own state is its globals, its tables and its dropped segments; memory is shared. A
 * wasi-threads entry (`wasi_thread_start`, wasi-libc's crt) sets `__stack_pointer` and, through the leaf
 * `__wasm_init_tls`, `__tls_base` before any other code runs, so an instance whose code changes nothing
 * else behaves for its next thread exactly as a fresh one would. What forbids reuse, read from the code:
 * - `global.set` of any global that the entry does not reset: a reset is a set in the entry's straight-line
 *   start (no branch, no call other than to a leaf function, whose own straight-line start counts too)
 *   with no read of that global before it. In a module run through asyncify, whose pass wraps every
 *   instrumented body in branches on its state (normal when a thread starts: checked at run time with
 *   `asyncify_get_state` before reuse), a reset is a set that comes first, in code order, among the
 *   entry's uses of that global (a leaf callee's uses counted where it is called). Asyncify's own two globals are allowed: they are back at rest when the
 *   thread's entry returned in the normal state;
 * - any table mutation (`table.set/grow/fill/copy/init`, `elem.drop`): per-instance tables would diverge;
 * - `data.drop` outside the start function (a later `memory.init` would find the segment gone);
 * - an instruction this scanner does not know (GC, future proposals): no reuse, a fresh instance.
 * This is what Emscripten's pthread pool relies on too (one instance per worker for every thread it runs).
 */
export interface ThreadReuse {
  ok: boolean;
  /** The module has asyncify's exports: reuse also needs asyncify_get_state() == 0 when a thread ends. */
  asyncify: boolean;
  /** Why not (for WEFT_LOG=debug and tests). */
  why?: string;
}

const ASYNCIFY_EXPORTS = ['asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind'];

class Bail extends Error {}

class Cursor {
  constructor(readonly b: Uint8Array, public pos: number) {}
  u8(): number {
    if (this.pos >= this.b.length) throw new Bail('unexpected end of code');
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
    if (t === 0x63 || t === 0x64) throw new Bail('typed reference block type'); // GC: not read here
    this.skipLeb();
  }
}

interface FuncFacts {
  sets: Set<number>;
  gets: Set<number>;
  calls: Set<number>;
  tableMutation: boolean;
  dataDrop: boolean;
  /** Where the body's instructions are (for a second, recording walk of the entry). */
  body: [start: number, end: number];
  /** Every global read/write and direct call in code order: only when asked (`record`). */
  events?: [kind: 'g' | 's' | 'c', index: number][];
  /**
   * The straight-line start of the body, up to its first branch, loop, `if`, indirect call or return:
   * global reads ('g'), global writes ('s') and direct calls ('c'), in order; then 'end' if it stopped early.
   */
  start: [kind: 'g' | 's' | 'c' | 'end', index: number][];
}

/** Walks one function body's instructions, recording what concerns instance state. */
function scanBody(c: Cursor, end: number, record = false): FuncFacts {
  const f: FuncFacts = { sets: new Set(), gets: new Set(), calls: new Set(), tableMutation: false, dataDrop: false, start: [], body: [c.pos, end] };
  const events: FuncFacts['events'] = record ? (f.events = []) : undefined;
  let straight = true;
  const stop = (): void => {
    if (straight) f.start.push(['end', 0]);
    straight = false;
  };
  // locals: vec of (count, valtype)
  const groups = c.leb();
  for (let i = 0; i < groups; i++) {
    c.skipLeb();
    const t = c.u8();
    if (t === 0x63 || t === 0x64) throw new Bail('typed reference local');
  }
  while (c.pos < end) {
    const op = c.u8();
    if (op >= 0x45 && op <= 0xc4) continue; // numeric, no immediates
    if (op >= 0x28 && op <= 0x3e) { c.memarg(); continue; }
    // control flow ends the straight-line start (a `block` and its `end` do not: no branch leaves it yet)
    if (straight && op !== 0x02 && op !== 0x0b && ((op >= 0x03 && op <= 0x0f) || op === 0x11 || op === 0x13 || op === 0x12
      || (op >= 0x14 && op <= 0x19) || op === 0x1f || op === 0xd4 || op === 0xd6 || op === 0x00)) stop();
    switch (op) {
      case 0x00: case 0x01: case 0x05: case 0x0a: case 0x0b: case 0x0f: case 0x19: case 0x1a: case 0x1b:
      case 0xd1: case 0xd3: case 0xd5:
        continue;
      case 0x02: case 0x03: case 0x04: case 0x06:
        c.blockType();
        continue;
      case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x14: case 0x15: case 0x18:
      case 0x20: case 0x21: case 0x22: case 0x25: case 0xd4: case 0xd6:
        c.skipLeb();
        continue;
      case 0x23: {
        const g = c.leb();
        f.gets.add(g);
        if (straight) f.start.push(['g', g]);
        events?.push(['g', g]);
        continue;
      }
      case 0x10: case 0x12: case 0xd2: {
        const callee = c.leb();
        f.calls.add(callee);
        if (straight && op === 0x10) f.start.push(['c', callee]);
        if (events && op === 0x10) events.push(['c', callee]);
        continue;
      }
      case 0x11: case 0x13:
        c.skipLeb();
        c.skipLeb();
        continue;
      case 0x0e: {
        const n = c.leb();
        for (let i = 0; i <= n; i++) c.skipLeb();
        continue;
      }
      case 0x1c: {
        const n = c.leb();
        for (let i = 0; i < n; i++) {
          const t = c.u8();
          if (t === 0x63 || t === 0x64) throw new Bail('typed reference select');
        }
        continue;
      }
      case 0x1f: {
        c.blockType();
        const n = c.leb();
        for (let i = 0; i < n; i++) {
          const kind = c.u8();
          if (kind <= 1) c.skipLeb();
          c.skipLeb();
        }
        continue;
      }
      case 0x24: {
        const g = c.leb();
        f.sets.add(g);
        if (straight) f.start.push(['s', g]);
        events?.push(['s', g]);
        continue;
      }
      case 0x26:
        c.skipLeb();
        f.tableMutation = true;
        continue;
      case 0x3f: case 0x40:
        c.skipLeb();
        continue;
      case 0x41: case 0x42:
        c.skipLeb();
        continue;
      case 0x43:
        c.skip(4);
        continue;
      case 0x44:
        c.skip(8);
        continue;
      case 0xd0: {
        const t = c.b[c.pos];
        if (t === 0x63 || t === 0x64) throw new Bail('typed reference');
        c.skipLeb();
        continue;
      }
      case 0xfc:
        prefixFC(c, f);
        continue;
      case 0xfd:
        prefixFD(c);
        continue;
      case 0xfe:
        prefixFE(c);
        continue;
      default:
        throw new Bail(`opcode 0x${op.toString(16)}`);
    }
  }
  return f;
}

function prefixFC(c: Cursor, f: FuncFacts): void {
  const sub = c.leb();
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: c.skipLeb(); c.skipLeb(); return; // memory.init data mem
    case 9: c.skipLeb(); f.dataDrop = true; return;
    case 10: c.skipLeb(); c.skipLeb(); return; // memory.copy
    case 11: c.skipLeb(); return; // memory.fill
    case 12: c.skipLeb(); c.skipLeb(); f.tableMutation = true; return; // table.init
    case 13: c.skipLeb(); f.tableMutation = true; return; // elem.drop
    case 14: c.skipLeb(); c.skipLeb(); f.tableMutation = true; return; // table.copy
    case 15: case 17: c.skipLeb(); f.tableMutation = true; return; // table.grow, table.fill
    case 16: c.skipLeb(); return; // table.size
    default: throw new Bail(`opcode 0xfc ${sub}`);
  }
}

function prefixFD(c: Cursor): void {
  const sub = c.leb();
  if (sub <= 11 || sub === 92 || sub === 93) return c.memarg();
  if (sub === 12 || sub === 13) return c.skip(16);
  if (sub >= 21 && sub <= 34) return c.skip(1);
  if (sub >= 84 && sub <= 91) { c.memarg(); c.skip(1); return; }
  if (sub <= 0xff || (sub >= 0x100 && sub <= 0x113)) return; // plain SIMD and relaxed SIMD: no immediates
  throw new Bail(`opcode 0xfd ${sub}`);
}

function prefixFE(c: Cursor): void {
  const sub = c.leb();
  if (sub === 3) return c.skip(1); // atomic.fence
  if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) return c.memarg();
  throw new Bail(`opcode 0xfe ${sub}`);
}

/**
 * Reads the module's code (only for threaded modules: it walks every instruction, ~1 ms per 100 KB) and
 * decides whether a pooled worker may keep its instance from one thread to the next.
 */
export function threadReuse(bytes: Uint8Array): ThreadReuse {
  let asyncify = false;
  try {
    const c = new Cursor(bytes, 8);
    let importedFuncs = 0;
    const mutable: boolean[] = []; // by global index
    const exportFunc = new Map<string, number>();
    let start = -1;
    const funcs: FuncFacts[] = [];
    while (c.pos < bytes.length) {
      const id = c.u8();
      const size = c.leb();
      const end = c.pos + size;
      if (id === 2) {
        const n = c.leb();
        for (let i = 0; i < n; i++) {
          c.skip(c.leb());
          c.skip(c.leb());
          const kind = c.u8();
          if (kind === 0) { c.skipLeb(); importedFuncs++; }
          else if (kind === 1) { c.u8(); limits(c); }
          else if (kind === 2) limits(c);
          else if (kind === 3) { c.u8(); mutable.push(c.u8() === 1); }
          else if (kind === 4) { c.u8(); c.skipLeb(); }
          else throw new Bail(`import kind ${kind}`);
        }
      } else if (id === 6) {
        const n = c.leb();
        for (let i = 0; i < n; i++) {
          const t = c.u8();
          if (t === 0x63 || t === 0x64) throw new Bail('typed reference global');
          mutable.push(c.u8() === 1);
          // the init expression: walk it as code up to its `end`
          skipConstExpr(c);
        }
      } else if (id === 7) {
        const n = c.leb();
        for (let i = 0; i < n; i++) {
          const len = c.leb();
          const name = new TextDecoder().decode(bytes.subarray(c.pos, c.pos + len));
          c.skip(len);
          const kind = c.u8();
          const index = c.leb();
          if (kind === 0) exportFunc.set(name, index);
        }
      } else if (id === 8) {
        start = c.leb();
      } else if (id === 10) {
        const n = c.leb();
        for (let i = 0; i < n; i++) {
          const len = c.leb();
          const bodyEnd = c.pos + len;
          funcs.push(scanBody(c, bodyEnd));
          c.pos = bodyEnd;
        }
      }
      c.pos = end;
    }
    asyncify = ASYNCIFY_EXPORTS.every((n) => exportFunc.has(n)) && exportFunc.has('asyncify_get_state');
    const facts = (index: number | undefined): FuncFacts | undefined =>
      index === undefined || index < importedFuncs ? undefined : funcs[index - importedFuncs];
    const entry = facts(exportFunc.get('wasi_thread_start'));
    if (!entry) return { ok: false, asyncify, why: 'no wasi_thread_start body' };
    const asyncifyGlobals = new Set<number>();
    if (asyncify) for (const n of ASYNCIFY_EXPORTS) for (const g of facts(exportFunc.get(n))?.sets ?? []) asyncifyGlobals.add(g);
    const recorded = (f: FuncFacts): FuncFacts => scanBody(new Cursor(bytes, f.body[0]), f.body[1], true);
    const reset = asyncify ? resetFirstInEntry(recorded(entry), (i) => {
      const f = facts(i);
      return f && f.calls.size === 0 ? recorded(f) : undefined;
    }) : resetByEntry(entry, facts);
    for (let i = 0; i < funcs.length; i++) {
      const f = funcs[i]!;
      if (f.tableMutation) return { ok: false, asyncify, why: `function ${i + importedFuncs} changes a table` };
      if (f.dataDrop && i + importedFuncs !== start) return { ok: false, asyncify, why: `function ${i + importedFuncs} drops a data segment` };
      for (const g of f.sets) {
        if (!mutable[g]) continue;
        if (!reset.has(g) && !asyncifyGlobals.has(g)) return { ok: false, asyncify, why: `global ${g} is set by function ${i + importedFuncs}` };
      }
    }
    return { ok: true, asyncify };
  } catch (e) {
    if (e instanceof Bail) return { ok: false, asyncify, why: e.message };
    throw e;
  }
}

/**
 * Globals the thread entry resets before anything reads them: set in its straight-line start (leaf callees'
 * straight-line starts inlined) with no read of the same global before.
 */
function resetByEntry(entry: FuncFacts, facts: (index: number) => FuncFacts | undefined): Set<number> {
  const reset = new Set<number>(), read = new Set<number>();
  const walk = (f: FuncFacts, inlined: boolean): boolean => {
    for (const [kind, i] of f.start) {
      if (kind === 'g') { if (!reset.has(i)) read.add(i); }
      else if (kind === 's') { if (!read.has(i)) reset.add(i); }
      else if (kind === 'c') {
        const callee = facts(i);
        if (inlined || !callee || callee.calls.size > 0 || !walk(callee, true)) return false;
      } else return false;
    }
    return true;
  };
  walk(entry, false);
  return reset;
}

/**
 * In an asyncified module: globals whose first use in the entry, in code order (a leaf callee's uses where it
 * is called), is a set.
 */
function resetFirstInEntry(entry: FuncFacts, leaf: (index: number) => FuncFacts | undefined): Set<number> {
  const reset = new Set<number>(), seen = new Set<number>();
  const use = (kind: 'g' | 's', g: number): void => {
    if (!seen.has(g) && kind === 's') reset.add(g);
    seen.add(g);
  };
  for (const [kind, i] of entry.events ?? []) {
    if (kind !== 'c') use(kind, i);
    else for (const [k2, g] of leaf(i)?.events ?? []) if (k2 !== 'c') use(k2, g);
  }
  return reset;
}

function limits(c: Cursor): void {
  const flags = c.u8();
  c.skipLeb();
  if (flags & 1) c.skipLeb();
}

/** A constant expression (global initialiser): simple instructions up to `end`. */
function skipConstExpr(c: Cursor): void {
  for (;;) {
    const op = c.u8();
    if (op === 0x0b) return;
    if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd2 || op === 0xd0) c.skipLeb();
    else if (op === 0x43) c.skip(4);
    else if (op === 0x44) c.skip(8);
    else if (op === 0xfd) { c.skipLeb(); c.skip(16); }
    else if ((op >= 0x6a && op <= 0x6c) || (op >= 0x7c && op <= 0x7e)) continue; // extended-const add/sub/mul
    else throw new Bail(`constant expression opcode 0x${op.toString(16)}`);
  }
}
