import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';

/**
 * NestJS's ws adapter, with error logging that an unauthenticated client cannot turn into a flood. A
 * socket's 'error' is always the peer's doing (a frame over the size limit, invalid UTF-8, a protocol
 * violation, a reset connection): it is logged at debug level, once per socket, without a stack. Only
 * an error of the server itself (e.g. its listener) is logged as an error.
 */
export class ChatWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly log: Logger,
  ) {
    super(app);
  }

  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (socket: WebSocket) => {
      let logged = false;
      socket.on('error', (err: Error & { code?: string }) => {
        if (logged) return;
        logged = true;
        this.log.debug({ code: err.code, reason: err.message }, 'client socket error; closing it');
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'WebSocket server error'));
    return server;
  }
}
