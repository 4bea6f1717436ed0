/**
 * Moves every `memory.atomic.wait32/64` of a module into a small function of its own, called where the
 * wait was. Why: V8 11.3's Liftoff (Node 20) miscompiles the code around a wait (a value kept in a local
 * across it reads back as 0), but not around a call; a function that only waits and returns keeps nothing
 * across the wait. With its waits outlined a module is safe under Liftoff, so the process can keep Liftoff
 * on: a large program's first calls then run at once instead of waiting for TurboFan (dash's start-up:
 * ~280 -> ~20 ms). Function indices of the module's own functions do not change (the new ones come last),
 * so exports, tables, names and stack traces keep their meaning.
 */
import { ATOMIC_WAIT32, ATOMIC_WAIT64, Cursor, limits, readImports, skipLocals, step, UnknownCode } from './wasm-code.js';

/** One outlined wait function: which wait, and the memarg it carries. */
interface WaitShape {
  sub: 1 | 2;
  align: number;
  offset: number;
}

const I32 = 0x7f, I64 = 0x7e, FUNC_TYPE = 0x60;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

/** A section: where its id byte is, where its payload starts and ends. */
interface Section { id: number; header: number; start: number; end: number }

/**
 * The module with its waits outlined; the same bytes when it has none; undefined when this reader cannot
 * rewrite it (an instruction or type it does not know, 64-bit or multiple memories): the caller then needs
 * another way around the miscompilation (Liftoff off for the process).
 */
export function outlineWaits(bytes: Uint8Array): Uint8Array | undefined {
  try {
    return rewrite(bytes);
  } catch (e) {
    if (e instanceof UnknownCode) return undefined;
    throw e;
  }
}

function rewrite(bytes: Uint8Array): Uint8Array | undefined {
  const c = new Cursor(bytes, 8);
  const sections: Section[] = [];
  let importedFuncs = 0;
  while (c.pos < bytes.length) {
    const header = c.pos;
    const id = c.u8();
    const size = c.leb();
    const start = c.pos;
    sections.push({ id, header, start, end: start + size });
    if (id === 2) {
      for (const e of readImports(c)) {
        if (e.is64) throw new UnknownCode('64-bit memory or table');
        if (e.kind === 0) importedFuncs++;
      }
    } else if (id === 5) {
      const n = c.leb();
      for (let i = 0; i < n; i++) if (limits(c)) throw new UnknownCode('64-bit memory');
    }
    c.pos = start + size;
  }
  const code = sections.find((s) => s.id === 10);
  const funcs = sections.find((s) => s.id === 3);
  const types = sections.find((s) => s.id === 1);
  if (!code) return bytes;

  // Find the waits, body by body.
  c.pos = code.start;
  const count = c.leb();
  const firstBody = c.pos;
  /** Bodies that hold a wait: where their size is, their code, and their waits. */
  const bodies: { sizeAt: number; start: number; end: number; waits: { at: number; end: number; shape: number }[] }[] = [];
  const shapes: WaitShape[] = [];
  const shapeIndex = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const sizeAt = c.pos;
    const len = c.leb();
    const start = c.pos, end = start + len;
    c.pos = end;
    if (!mayWait(bytes, start, end)) continue;
    const waits: { at: number; end: number; shape: number }[] = [];
    c.pos = start;
    skipLocals(c);
    while (c.pos < end) {
      const at = c.pos;
      const op = step(c);
      if (op !== ATOMIC_WAIT32 && op !== ATOMIC_WAIT64) continue;
      const m = new Cursor(bytes, at + 1);
      m.leb(); // the sub-opcode
      const align = m.leb();
      if (align & 0x40) throw new UnknownCode('wait on a memory other than 0');
      const offset = m.leb();
      const key = `${op}:${align}:${offset}`;
      let shape = shapeIndex.get(key);
      if (shape === undefined) {
        shape = shapes.push({ sub: op === ATOMIC_WAIT32 ? 1 : 2, align, offset }) - 1;
        shapeIndex.set(key, shape);
      }
      waits.push({ at, end: c.pos, shape });
    }
    if (waits.length) bodies.push({ sizeAt, start, end, waits });
    c.pos = end;
  }
  if (shapes.length === 0) return bytes;
  if (!funcs || !types) throw new UnknownCode('code without a function or type section');

  // The two wait signatures, appended to the type section (only plain function types may precede them:
  // a rec group would make the entry count differ from the type count).
  c.pos = types.start;
  const typeCount = c.leb();
  const typesFrom = c.pos;
  for (let i = 0; i < typeCount; i++) {
    if (c.u8() !== FUNC_TYPE) throw new UnknownCode('a type other than a function type');
    for (let v = 0; v < 2; v++) {
      const n = c.leb();
      for (let k = 0; k < n; k++) {
        const t = c.u8();
        if (t === 0x63 || t === 0x64) throw new UnknownCode('typed reference in a signature');
      }
    }
  }
  const typesBody = bytes.subarray(typesFrom, types.end);
  const wait32Type = typeCount, wait64Type = typeCount + 1;
  const newTypes = [
    ...uleb(typeCount + 2), ...typesBody,
    FUNC_TYPE, 3, I32, I32, I64, 1, I32,
    FUNC_TYPE, 3, I32, I64, I64, 1, I32,
  ];

  c.pos = funcs.start;
  const definedFuncs = c.leb();
  const funcEntries = bytes.subarray(c.pos, funcs.end);
  const firstOutlined = importedFuncs + definedFuncs;
  const newFuncs = [...uleb(definedFuncs + shapes.length), ...funcEntries,
    ...shapes.flatMap((s) => uleb(s.sub === 1 ? wait32Type : wait64Type))];

  // Bodies without waits are copied as they are, a run of them at a time.
  const codeParts: (Uint8Array | number[])[] = [uleb(count + shapes.length)];
  let copied = firstBody;
  for (const b of bodies) {
    codeParts.push(bytes.subarray(copied, b.sizeAt));
    copied = b.end;
    const pieces: (Uint8Array | number[])[] = [];
    let from = b.start, len = 0;
    for (const w of b.waits) {
      const call = [0x10, ...uleb(firstOutlined + w.shape)];
      pieces.push(bytes.subarray(from, w.at), call);
      len += w.at - from + call.length;
      from = w.end;
    }
    pieces.push(bytes.subarray(from, b.end));
    len += b.end - from;
    codeParts.push(uleb(len), ...pieces);
  }
  codeParts.push(bytes.subarray(copied, code.end));
  for (const s of shapes) {
    // (local.get 0) (local.get 1) (local.get 2) memory.atomic.waitNN align offset, end
    const body = [0, 0x20, 0, 0x20, 1, 0x20, 2, 0xfe, s.sub, ...uleb(s.align), ...uleb(s.offset), 0x0b];
    codeParts.push(uleb(body.length), body);
  }

  const out: (Uint8Array | number[])[] = [bytes.subarray(0, 8)];
  for (const s of sections) {
    const payload = s.id === 1 ? [newTypes] : s.id === 3 ? [newFuncs] : s === code ? codeParts : undefined;
    if (!payload) {
      out.push(bytes.subarray(s.header, s.end));
      continue;
    }
    const size = payload.reduce((n, p) => n + p.length, 0);
    out.push([s.id, ...uleb(size)], ...payload);
  }
  const total = out.reduce((n, p) => n + p.length, 0);
  const result = new Uint8Array(total);
  let at = 0;
  for (const p of out) {
    result.set(p, at);
    at += p.length;
  }
  return result;
}

/**
 * Can this body hold a wait? Its opcode is 0xfe then sub-opcode 1 or 2 (a LEB: padded, its first byte is
 * 0x81 or 0x82). Most bodies have no such pair and are not walked (~10 ms saved on a 250 KB shell).
 */
function mayWait(bytes: Uint8Array, start: number, end: number): boolean {
  const body = bytes.subarray(start, end); // (indexOf on the whole module would search past the body)
  for (let i = body.indexOf(0xfe); i >= 0 && i < body.length - 1; i = body.indexOf(0xfe, i + 1)) {
    const sub = body[i + 1]! & 0x7f;
    if (sub === 1 || sub === 2) return true;
  }
  return false;
}
