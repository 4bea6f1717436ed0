/**
 * The errors `run()` rejects with before a program starts, in Node and in browsers. Each has a stable
 * `code` to test for (as Node's own errors do); the CLI exits 2 for them, like for a usage error.
 */

/** The module is not a command (it exports no `_start`, e.g. a reactor) and no `invoke` was given. */
export class NotACommandError extends Error {
  override name = 'NotACommandError';
  readonly code = 'ERR_WEFT_NOT_A_COMMAND';
}

/**
 * The module imports what neither weft nor the `imports` option provides (e.g. `env.get_answer`);
 * `imports` lists every such `module.field`. With `allowUnknownImports`, functions among them trap when
 * called instead.
 */
export class UnknownImportsError extends Error {
  override name = 'UnknownImportsError';
  readonly code = 'ERR_WEFT_UNKNOWN_IMPORTS';
  constructor(readonly imports: string[], hint: string) {
    super(`unknown import${imports.length > 1 ? 's' : ''}: ${imports.join(', ')} (${hint})`);
  }
}

/** `invoke` names no exported function, or its arguments do not fit the function's parameters. */
export class InvokeError extends Error {
  override name = 'InvokeError';
  readonly code = 'ERR_WEFT_INVOKE';
}
