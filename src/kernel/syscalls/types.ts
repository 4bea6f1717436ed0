/** A table of syscall implementations for one import module. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SyscallFn = (...args: any[]) => number | bigint | void;
export type SyscallTable = Record<string, SyscallFn>;
