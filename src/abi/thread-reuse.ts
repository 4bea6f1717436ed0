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
import { Cursor, prefixed, readImports, skipLocals, step, UnknownCode } from './wasm-code.js';

export interface ThreadReuse {
  ok: boolean;
  /** The module has asyncify's exports: reuse also needs asyncify_get_state() == 0 when a thread ends. */
  asyncify: boolean;
  /** Why not (for WEFT_LOG=debug and tests). */
  why?: string;
}

const ASYNCIFY_EXPORTS = ['asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind'];

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
  skipLocals(c);
  while (c.pos < end) {
    const at = c.pos;
    const op = step(c);
    // control flow ends the straight-line start (a `block` and its `end` do not: no branch leaves it yet)
    if (straight && op !== 0x02 && op !== 0x0b && ((op >= 0x03 && op <= 0x0f) || op === 0x11 || op === 0x13 || op === 0x12
      || (op >= 0x14 && op <= 0x19) || op === 0x1f || op === 0xd4 || op === 0xd6 || op === 0x00)) {
      f.start.push(['end', 0]);
      straight = false;
    }
    switch (op) {
      case 0x23: {
        const g = c.lebAt(at + 1);
        f.gets.add(g);
        if (straight) f.start.push(['g', g]);
        events?.push(['g', g]);
        break;
      }
      case 0x24: {
        const g = c.lebAt(at + 1);
        f.sets.add(g);
        if (straight) f.start.push(['s', g]);
        events?.push(['s', g]);
        break;
      }
      case 0x10: case 0x12: case 0xd2: {
        const callee = c.lebAt(at + 1);
        f.calls.add(callee);
        if (straight && op === 0x10) f.start.push(['c', callee]);
        if (events && op === 0x10) events.push(['c', callee]);
        break;
      }
      case 0x26: // table.set
      case TABLE_INIT: case ELEM_DROP: case TABLE_COPY: case TABLE_GROW: case TABLE_FILL:
        f.tableMutation = true;
        break;
      case DATA_DROP:
        f.dataDrop = true;
        break;
    }
  }
  return f;
}

const DATA_DROP = prefixed(0xfc, 9), TABLE_INIT = prefixed(0xfc, 12), ELEM_DROP = prefixed(0xfc, 13);
const TABLE_COPY = prefixed(0xfc, 14), TABLE_GROW = prefixed(0xfc, 15), TABLE_FILL = prefixed(0xfc, 17);

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
        for (const e of readImports(c)) {
          if (e.kind === 0) importedFuncs++;
          else if (e.kind === 3) mutable.push(e.mutable);
        }
      } else if (id === 6) {
        const n = c.leb();
        for (let i = 0; i < n; i++) {
          const t = c.u8();
          if (t === 0x63 || t === 0x64) throw new UnknownCode('typed reference global');
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
    if (e instanceof UnknownCode) return { ok: false, asyncify, why: e.message };
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
    else throw new UnknownCode(`constant expression opcode 0x${op.toString(16)}`);
  }
}
