import type { NetState } from '../kernel/shared/net-state.js';
import type { NetRequest } from '../kernel/net-request.js';

export type { NetRequest } from '../kernel/net-request.js';

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
