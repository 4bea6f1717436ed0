/**
 * Shared memories of ended processes of a tree, kept for the next processes: a fresh WebAssembly.Memory
 * pays a page fault for every 4 KiB it touches (measured ~15 µs each on the 2-core VM: ~1 ms for a small
 * shell's 256 KiB, 20 ms for 4 MiB), a recycled one has its pages already. Keyed by exact size and
 * maximum, since a program must see the memory size it would get fresh; bounded.
 */
export class MemoryPool {
  private readonly free: { memory: WebAssembly.Memory; pages: number; maximum: number }[] = [];

  constructor(private readonly max = 4) {}

  put(memory: WebAssembly.Memory, maximum: number): void {
    this.free.push({ memory, pages: memory.buffer.byteLength / 65536, maximum });
    if (this.free.length > this.max) this.free.shift();
  }

  /** A memory of exactly `pages` pages and this maximum, cleared: as a new one would be. */
  take(pages: number, maximum: number): WebAssembly.Memory | undefined {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const f = this.free[i]!;
      if (f.pages !== pages || f.maximum !== maximum || f.memory.buffer.byteLength !== pages * 65536) continue;
      this.free.splice(i, 1);
      new Uint8Array(f.memory.buffer).fill(0);
      return f.memory;
    }
    return undefined;
  }
}
