/**
 * A network operation a wasm thread asks of the owner of the host sockets (process/net-owner.ts). Socket
 * state and data live in NetState; the message only names the socket object and the operation. With
 * `seq` the sender waits on its channel for the reply (a result >= 0, or a negated errno).
 */
export interface NetRequest {
  t: 'net';
  op: 'bind' | 'listen' | 'connect' | 'resolve';
  /** Socket object index (unused by resolve). */
  o: number;
  /** resolve: the host name and port hint. */
  host?: string;
  port?: number;
  slot?: number;
  seq?: number;
}
