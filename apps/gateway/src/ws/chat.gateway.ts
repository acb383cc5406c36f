import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, type OnModuleDestroy } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayDisconnect, WebSocketGateway } from '@nestjs/websockets';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { LOGGER } from '#libs/platform';
import { CLOSE_CODES, HARD_FRAME_LIMIT_BYTES, PROTOCOL_PATH } from '#libs/protocol';
import { bearerToken } from '../auth/device-auth.guard.js';
import { TokenService } from '../auth/token.service.js';
import { ApiError } from '../http/api-error.js';
import { PresenceTracker } from '../presence/presence-tracker.js';
import { PresenceWatchers } from '../presence/presence-watchers.js';
import { AckFlusher } from './ack-flusher.js';
import { DeviceConnection } from './device-connection.js';
import { DeviceSockets } from './device-sockets.js';
import { FrameRouter } from './frame-router.js';
import { LiveSessions } from './live-sessions.js';

/**
 * The WebSocket endpoint. Authentication happens here, at the handshake (NestJS 12's ws adapter never
 * calls verifyClient on a shared port): a socket without a valid token is closed with 4401/4403.
 */
@WebSocketGateway({ path: PROTOCOL_PATH, maxPayload: HARD_FRAME_LIMIT_BYTES })
export class ChatGateway implements OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  private readonly connections = new WeakMap<WebSocket, DeviceConnection>();

  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: LiveSessions,
    private readonly router: FrameRouter,
    private readonly presence: PresenceTracker,
    private readonly watchers: PresenceWatchers,
    private readonly deviceSockets: DeviceSockets,
    private readonly acks: AckFlusher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handleConnection(socket: WebSocket, req: IncomingMessage): Promise<void> {
    // Frames that arrive while we authenticate wait for the handler below.
    const early: Array<[Parameters<FrameRouter['onFrame']>[1], boolean]> = [];
    const hold = (raw: Parameters<FrameRouter['onFrame']>[1], isBinary: boolean): void =>
      void early.push([raw, isBinary]);
    socket.on('message', hold);
    let conn: DeviceConnection;
    let token: string | undefined;
    try {
      token =
        bearerToken(req.headers.authorization) ??
        new URL(req.url ?? '/', 'http://x').searchParams.get('access_token') ??
        undefined;
      if (!token) throw new ApiError('UNAUTHENTICATED', 'no access token');
      const id = await this.tokens.verifyAccess(token);
      conn = new DeviceConnection(id.userId, id.deviceId, socket, randomBytes(12).toString('base64url'));
    } catch (err) {
      this.refuse(socket, err);
      return;
    }
    if (socket.readyState !== socket.OPEN) return;
    this.connections.set(socket, conn);
    this.sessions.add(conn);
    try {
      // Checked again now that an order to close the device's sockets would find this one: a session
      // ended between the first check and here was announced before this socket could hear it.
      await this.tokens.verifyAccess(token);
      await this.deviceSockets.add(conn);
    } catch (err) {
      this.refuse(socket, err);
      this.handleDisconnect(socket);
      return;
    }
    this.presence.touch(conn.userId, conn.deviceId); // connecting is activity: online from the next flush
    socket.off('message', hold);
    socket.on('message', (raw, isBinary) => this.router.onFrame(conn, raw, isBinary));
    for (const [raw, isBinary] of early) this.router.onFrame(conn, raw, isBinary);
    if (socket.readyState !== socket.OPEN) this.handleDisconnect(socket);
  }

  private refuse(socket: WebSocket, err: unknown): void {
    const code = err instanceof ApiError ? err.code : 'UNAUTHENTICATED';
    // A forgotten account is final like a removed device: the client must not retry.
    const final = code === 'DEVICE_REVOKED' || code === 'USER_FORGOTTEN';
    socket.close(final ? CLOSE_CODES.revoked : CLOSE_CODES.unauthenticated, code);
  }

  handleDisconnect(socket: WebSocket): void {
    const conn = this.connections.get(socket);
    if (conn) {
      this.sessions.remove(conn);
      this.router.forget(conn);
      this.deviceSockets
        .remove(conn)
        .catch((err: Error) => this.logger.debug({ err: err.message }, 'socket set not updated'));
      this.watchers.unwatch(conn);
      this.connections.delete(socket);
      // Its acknowledgements flushed and its floor saved (the floor is kept in memory meanwhile).
      this.acks
        .closed(conn)
        .catch((err: Error) => this.logger.debug({ err: err.message }, 'floor not saved on close'));
      // Another socket of the same device may still be here (a quick reconnect): then it stays.
      if (!this.sessions.all().some((c) => c.userId === conn.userId && c.deviceId === conn.deviceId))
        void this.presence.leave(conn.userId, conn.deviceId);
    }
  }

  /** Draining: clients reconnect to another gateway and resume from their cursor. */
  onModuleDestroy(): void {
    for (const conn of this.sessions.all()) conn.socket.close(CLOSE_CODES.goingAway, 'SHUTTING_DOWN');
  }
}
