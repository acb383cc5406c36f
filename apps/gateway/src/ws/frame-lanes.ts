import { partitionOf } from '#libs/events';
import type { DeviceConnection } from './device-connection.js';

/** Send lanes per socket: sends to one conversation share a lane (their order is kept). */
export const SEND_LANES = 8;

/**
 * Ack lanes per socket. An ack is answered after the gateway's flush has stored its receipts; a client
 * that acknowledges a sync's backlog in several frames gets them into one flush instead of one flush
 * after another (acks need no order among themselves).
 */
export const ACK_LANES = 4;

/**
 * The lane a frame waits in on its socket. Frames of one lane run one at a time, in order; lanes of a
 * socket run side by side. Sends keep their order per conversation; acks, pings and heartbeats need no
 * order with anything else; every other frame keeps its order with the others (a client may chain them).
 * A socket has at most SEND_LANES + ACK_LANES + 2 lanes, so its share of the gateway stays bounded.
 */
export function laneOf(type: string, data: unknown): string {
  switch (type) {
    case 'message.send': {
      const c = (data as { conversationId?: unknown } | null | undefined)?.conversationId;
      return typeof c === 'string' ? `send.${partitionOf(c, SEND_LANES)}` : 'main';
    }
    case 'ack': {
      const first = (data as { entries?: unknown } | null | undefined)?.entries;
      const id = Array.isArray(first) && typeof first[0] === 'string' ? first[0] : '';
      return `ack.${partitionOf(id, ACK_LANES)}`;
    }
    case 'ping':
    case 'presence.heartbeat':
      return 'ping';
    default:
      return 'main';
  }
}

/** One lane of one socket: the FairQueue's key. */
export interface SocketLane {
  readonly conn: DeviceConnection;
  readonly lane: string;
}
