/**
 * --invoke's arguments and results, as `wasmtime run --invoke` reads and prints them: integers in decimal
 * or 0x hex, floats in decimal (or inf/nan); results one per line, floats as Rust's Display prints them
 * (the shortest digits that read back to the same value, never in exponent form).
 */
import type { ValType } from '../abi/wasm-types.js';

const INT = /^[+-]?(\d+|0[xX][0-9a-fA-F]+)$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

function parseInt(text: string, bits: 32 | 64): bigint {
  if (!INT.test(text)) throw new Error(`'${text}' is not an integer`);
  const neg = text.startsWith('-');
  const digits = text.replace(/^[+-]/, '');
  const v = neg ? -BigInt(digits) : BigInt(digits);
  // Either reading of the bits: signed (as Wasmtime) or unsigned (0xffffffff for -1).
  if (v < -(1n << BigInt(bits - 1)) || v >= 1n << BigInt(bits)) throw new Error(`'${text}' does not fit in i${bits}`);
  return BigInt.asIntN(bits, v);
}

function parseFloat(text: string): number {
  const s = SPECIAL.exec(text);
  if (s) return s[2]!.toLowerCase() === 'nan' ? NaN : s[1] === '-' ? -Infinity : Infinity;
  if (!FLOAT.test(text)) throw new Error(`'${text}' is not a number`);
  return Number(text);
}

/** The JS value wasm receives for `text` as a parameter of type `type`. */
export function parseWasmValue(text: string, type: ValType): number | bigint {
  switch (type) {
    case 'i32': return Number(parseInt(text, 32));
    case 'i64': return parseInt(text, 64);
    case 'f32': return Math.fround(parseFloat(text));
    case 'f64': return parseFloat(text);
    default: throw new Error(`parameters of type ${type} cannot be given on the command line`);
  }
}

/** Digits and decimal exponent of x's exponential form with `fraction` digits after the point (all when undefined). */
function plainDecimal(x: number, fraction: number | undefined): string {
  const [mant, exp] = x.toExponential(fraction).split('e') as [string, string];
  const neg = mant.startsWith('-');
  const digits = mant.replace(/^-/, '').replace('.', '').replace(/0+$/, '') || '0';
  const e = Number(exp);
  let s: string;
  if (e < 0) s = '0.' + '0'.repeat(-e - 1) + digits;
  else if (digits.length <= e + 1) s = digits + '0'.repeat(e + 1 - digits.length);
  else s = digits.slice(0, e + 1) + '.' + digits.slice(e + 1);
  return (neg ? '-' : '') + s;
}

function formatFloat(x: number, single: boolean): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (!single) return plainDecimal(x, undefined);
  // The fewest significant digits that read back to the same f32.
  for (let p = 1; p < 9; p++) {
    if (Math.fround(Number(x.toPrecision(p))) === x) return plainDecimal(x, p - 1);
  }
  return plainDecimal(x, 8);
}

/** How a result of type `type` is printed. */
export function formatWasmValue(v: unknown, type: ValType): string {
  switch (type) {
    case 'i32':
    case 'i64': return String(v);
    case 'f32': return formatFloat(v as number, true);
    case 'f64': return formatFloat(v as number, false);
    default: return v === null ? `<null ${type}>` : `<${type}>`;
  }
}
