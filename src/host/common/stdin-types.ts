/** The types of run()'s stdin option (on their own: the Node entry's published types reach them). */

export type StdinChunk = Uint8Array | ArrayBuffer | string | null | undefined;

/**
 * Supplies stdin on demand: called when a thread reads stdin and nothing is buffered, with the most
 * bytes the read wants. Return bytes or text (more is fine: it is buffered), null/undefined at end of
 * input, or a promise of either; the reading thread (only it) blocks until the promise settles. An
 * empty chunk means "nothing yet": the callback is asked again shortly.
 */
export type StdinCallback = (max: number) => StdinChunk | Promise<StdinChunk>;

/** A web ReadableStream, as far as stdin uses it (declared here: Node's types have no global ReadableStream). */
export interface ByteStream {
  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array | string | undefined }>;
    cancel(reason?: unknown): Promise<void>;
  };
}

/**
 * What `run()` takes as stdin (besides a host fd in Node): a pull callback, a web ReadableStream, any
 * async iterable of chunks (a Node Readable, such as `process.stdin` or `fs.createReadStream()`), fixed
 * text or bytes, or 'ignore' (reads see end of input).
 */
// 'ignore' is a string too, named for whoever reads the type.
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
export type StdinOption = StdinCallback | ByteStream | AsyncIterable<Uint8Array | string> | string | Uint8Array | 'ignore';
