/** A bytes callback that decodes UTF-8 and calls onLine once per line (without the '\n'). */
export type LineSink = ((data: Uint8Array) => void) & {
  /** Emits a final line that had no '\n' (run() calls this when the program ends). */
  flush: () => void;
};

/**
 * Turns a line callback into a stdout/stderr bytes callback: `stdout: lines((l) => term.writeln(l))`.
 * Multi-byte characters split across writes are kept whole; '\r\n' counts as one line end.
 */
export function lines(onLine: (line: string) => void): LineSink {
  const dec = new TextDecoder();
  let pending = '';
  const emit = (text: string): void => {
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
  };
  const sink = ((data: Uint8Array) => emit(dec.decode(data, { stream: true }))) as LineSink;
  sink.flush = () => {
    emit(dec.decode());
    if (pending) {
      const last = pending;
      pending = '';
      onLine(last);
    }
  };
  return sink;
}
