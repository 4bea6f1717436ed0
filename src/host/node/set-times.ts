/**
 * Exact timestamps on host files. Node's utimes family takes seconds as a double and libuv keeps only
 * microseconds, so a time set with nanoseconds reads back rounded. This table remembers, per inode
 * (dev, ino), the times this process last set and what the host stored for them; a stat whose host
 * value still equals the stored one reports the requested value instead. Any other change of the time
 * (by the host, another process, a later write) gives another host value, so the record no longer
 * applies. Shared by every thread of the process (one SharedArrayBuffer, passed in the backend
 * descriptor); direct-mapped, so a colliding inode evicts the record (that inode then reads back the
 * host's microseconds).
 */
const SLOTS = 1024;
/** Per slot: dev, ino, requested atim, host atim, requested mtim, host mtim (u64 each). */
const VALS = 6;

export function createTimesBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * 4 + SLOTS * VALS * 8);
}

export class SetTimes {
  private readonly seq: Int32Array;
  private readonly v: BigUint64Array;

  constructor(sab: SharedArrayBuffer = createTimesBuffer()) {
    this.seq = new Int32Array(sab, 0, SLOTS);
    this.v = new BigUint64Array(sab, SLOTS * 4, SLOTS * VALS);
  }

  private slot(dev: bigint, ino: bigint): number {
    return Number((ino ^ (dev << 7n) ^ (ino >> 17n)) % BigInt(SLOTS));
  }

  /** Records the times set on (dev, ino): requested and as stored by the host. */
  record(dev: bigint, ino: bigint, aReq: bigint, aHost: bigint, mReq: bigint, mHost: bigint): void {
    const s = this.slot(dev, ino);
    // A seqlock: odd while a writer is inside; writers take it with a compare-exchange from even.
    for (;;) {
      const q = Atomics.load(this.seq, s);
      if (q & 1) continue;
      if (Atomics.compareExchange(this.seq, s, q, q + 1) === q) break;
    }
    const b = s * VALS;
    this.v[b] = dev;
    this.v[b + 1] = ino;
    this.v[b + 2] = aReq;
    this.v[b + 3] = aHost;
    this.v[b + 4] = mReq;
    this.v[b + 5] = mHost;
    Atomics.add(this.seq, s, 1);
  }

  /** [atim, mtim] to report for an inode whose host times are (aHost, mHost). */
  exact(dev: bigint, ino: bigint, aHost: bigint, mHost: bigint): [bigint, bigint] {
    const s = this.slot(dev, ino);
    const b = s * VALS;
    for (let tries = 0; tries < 100; tries++) {
      const q = Atomics.load(this.seq, s);
      if (q === 0) return [aHost, mHost]; // never written
      if (q & 1) continue;
      const hit = this.v[b] === dev && this.v[b + 1] === ino;
      const a = hit && this.v[b + 3] === aHost ? this.v[b + 2]! : aHost;
      const m = hit && this.v[b + 5] === mHost ? this.v[b + 4]! : mHost;
      if (Atomics.load(this.seq, s) === q) return [a, m];
    }
    return [aHost, mHost];
  }
}
