/**
 * Byte layouts of the preview1 structs the kernel reads or writes in guest memory (wasm32).
 * Every offset used by a syscall comes from here.
 */
export const Iovec = { size: 8, buf: 0, len: 4 } as const;
export const Prestat = { size: 8, tag: 0, dirNameLen: 4 } as const;
export const Fdstat = { size: 24, filetype: 0, flags: 2, rightsBase: 8, rightsInheriting: 16 } as const;
export const Filestat = { size: 64, dev: 0, ino: 8, filetype: 16, nlink: 24, size_: 32, atim: 40, mtim: 48, ctim: 56 } as const;
export const Dirent = { size: 24, next: 0, ino: 8, namlen: 16, type: 20 } as const;
/** subscription: userdata u64, then the union tagged by eventtype (u8) at 8; its body at 16. */
export const Subscription = {
  size: 48, userdata: 0, tag: 8,
  clockId: 16, clockTimeout: 24, clockPrecision: 32, clockFlags: 40,
  fdFd: 16,
} as const;
/** event: userdata u64, error u16, type u8, then fd_readwrite { nbytes u64 @16, flags u16 @24 }. */
export const Event = { size: 32, userdata: 0, error: 8, type: 10, nbytes: 16, flags: 24 } as const;
