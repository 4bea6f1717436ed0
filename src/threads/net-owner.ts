import type { NetState } from '../kernel/net-state.js';

/**
 * A network operation a wasm thread asks of the owner of the host sockets. Socket state and data live
 * in NetState; the message only names the socket object and the operation. With `seq` the sender waits
 * on its channel for the reply (a result >= 0, or a negated errno).
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

export type NetReply = (result: number, data?: Uint8Array) => void;

/**
 * The side that owns host sockets: an event loop that never blocks (the coordinator on Node). It serves
 * requests and the work guests queue in NetState (Want bits + doorbell).
 */
export interface NetOwner {
  handle(m: NetRequest, reply: NetReply | undefined): void;
  stop(): void;
}

export type NetOwnerFactory = (net: NetState, log: (line: string) => void) => NetOwner;
