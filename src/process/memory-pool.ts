/**
 * Shared memories of ended processes of a tree, kept for the next processes: a fresh WebAssembly.Memory
 * pays a page fault for every 4 KiB it touches (measured ~15 µs each on the 2-core VM: ~1 ms for a small
 * shell's 256 KiB, 20 ms for 4 MiB), a recycled one has its pages already. Keyed by exact size and
 * maximum, since a program must see the memory size it would get fresh; bounded.
 */
export class MemoryPool {
  private readonly free: { memory: WebAssembly.Memory; pages: number; maximum: number }[] = [];

  constructor(private readonly max = 8) {}

  put(memory: WebAssembly.Memory, maximum: number): void {
    this.free.push({ memory, pages: sizeOf(memory), maximum });
    if (this.free.length > this.max) this.free.shift();
  }

  /** A memory of exactly `pages` pages and this maximum, cleared unless asked not to (a fork copies over all of it). */
  take(pages: number, maximum: number, clear = true): WebAssembly.Memory | undefined {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const f = this.free[i]!;
      if (f.pages !== pages || f.maximum !== maximum) continue;
      this.free.splice(i, 1);
      if (clear) new Uint8Array(f.memory.buffer, 0, pages * 65536).fill(0);
      return f.memory;
    }
    return undefined;
  }
}

/**
 * A shared memory's size in pages as its last grow left it: grow(0) returns it, and refreshes `buffer`,
 * which V8 (Node 20) updates lazily in an agent that did not grow it (seen: 3 pages of a real 4).
 */
export function sizeOf(memory: WebAssembly.Memory): number {
  return memory.grow(0);
}
