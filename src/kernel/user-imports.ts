/**
 * Imports the user gives run() (`imports: { env: { f } }`): the functions live on the coordinator's
 * thread, so a wasm thread calls one by a request over its channel and waits for the reply, as for a
 * stdin read. The reply carries the function's results (numbers, BigInts) or the message it threw.
 */
import { Chan } from './shared/channel.js';
import type { Kernel } from './kernel.js';

/** The request a thread posts (the coordinator answers on the thread's channel). */
export interface ImportCall {
  t: 'import';
  slot: number;
  seq: number;
  module: string;
  field: string;
  args: (number | bigint)[];
}

/** The tag before each value of a reply. */
const Tag = { NUMBER: 0, BIGINT: 1, UNDEFINED: 2 } as const;
/** A reply's result word. */
const Reply = { OK: 0, THREW: 1 } as const;

/** Encodes what a user function returned (one value, or an array of them for several results). */
export function encodeImportResult(value: unknown): { result: number; data: Uint8Array } {
  const values: unknown[] = Array.isArray(value) ? value : [value];
  const data = new Uint8Array(4 + values.length * 9);
  const dv = new DataView(data.buffer);
  dv.setUint32(0, values.length, true);
  values.forEach((v, i) => {
    const at = 4 + i * 9;
    if (typeof v === 'bigint') {
      dv.setUint8(at, Tag.BIGINT);
      dv.setBigInt64(at + 1, BigInt.asIntN(64, v), true);
    } else if (v === undefined) {
      dv.setUint8(at, Tag.UNDEFINED);
    } else {
      dv.setUint8(at, Tag.NUMBER);
      dv.setFloat64(at + 1, Number(v), true);
    }
  });
  return { result: Reply.OK, data };
}

/** Encodes what a user function threw (its message, cut to fit the channel). */
export function encodeImportError(e: unknown): { result: number; data: Uint8Array } {
  const text = new TextEncoder().encode(String((e as Error)?.message ?? e)).subarray(0, Chan.DATA_BYTES - 4);
  const data = new Uint8Array(4 + text.length);
  new DataView(data.buffer).setUint32(0, text.length, true);
  data.set(text, 4);
  return { result: Reply.THREW, data };
}

/**
 * The function a thread's instance imports for a user import: it asks the coordinator to call the
 * user's function and returns its results. `results`: how many the import declares (several come back
 * as an array, as the JS API wants them), undefined when unknown.
 */
export function userImport(k: Kernel, module: string, field: string, results: number | undefined): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    k.checkAlive();
    const seq = k.chan.begin();
    k.host.post({ t: 'import', slot: k.slot, seq, module, field, args: args as (number | bigint)[] } satisfies ImportCall);
    const status = k.chan.wait(seq);
    k.checkAlive();
    const dv = new DataView(k.chan.data.buffer, k.chan.data.byteOffset, k.chan.data.byteLength);
    const n = dv.getUint32(0, true);
    if (status === Reply.THREW) {
      const msg = new TextDecoder().decode(k.chan.data.slice(4, 4 + n));
      throw new Error(`${module}.${field} threw: ${msg}`);
    }
    const values: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const at = 4 + i * 9;
      const tag = dv.getUint8(at);
      values.push(tag === Tag.BIGINT ? dv.getBigInt64(at + 1, true) : tag === Tag.NUMBER ? dv.getFloat64(at + 1, true) : undefined);
    }
    return results === 1 || (results === undefined && values.length === 1) ? values[0] : values;
  };
}
