/** The module is not a command (it exports no `_start`, e.g. a reactor): `run()` cannot run it. */
export class NotACommandError extends Error {
  readonly code = 'ERR_WEFT_NOT_A_COMMAND';
}
