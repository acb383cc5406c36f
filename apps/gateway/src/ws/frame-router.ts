import { Inject, Injectable } from '@nestjs/common';
import type { RawData } from 'ws';
import type { Logger } from 'pino';
import { EventSchemaError, PersonalDataForgottenError } from '#libs/events';
import { isDependencyUnavailable, LOGGER, MetricsService } from '#libs/platform';
import { FRAME_LIMIT_BYTES, REQUEST_TYPES, type ErrorBody, type RequestType } from '#libs/protocol';
import { ApiError } from '../http/api-error.js';
import { validateDto } from '../http/validate-body.js';
import type { DeviceConnection } from './device-connection.js';
import { AckHandler } from './handlers/ack.handler.js';
import { ConversationsHandler } from './handlers/conversations.handler.js';
import { HeartbeatHandler } from './handlers/heartbeat.handler.js';
import { HistoryHandler } from './handlers/history.handler.js';
import { OpenDirectHandler } from './handlers/open-direct.handler.js';
import { PingHandler } from './handlers/ping.handler.js';
import { PresenceSubscribeHandler } from './handlers/presence-subscribe.handler.js';
import { PrivacyGetHandler, PrivacySetHandler } from './handlers/privacy.handler.js';
import { ReadHandler } from './handlers/read.handler.js';
import type { RequestHandler } from './handlers/request-handler.js';
import { SendMessageHandler } from './handlers/send-message.handler.js';
import { SyncHandler } from './handlers/sync.handler.js';
import { GroupHandlers } from './handlers/groups/group-handlers.js';
import { TypingHandler } from './handlers/typing.handler.js';
import { PresenceTracker } from '../presence/presence-tracker.js';

const REQUEST_ID = /^[\x21-\x7e]{1,64}$/;

/**
 * Every client frame goes through here: size, JSON, envelope, rate limit, DTO, handler. Whatever
 * happens, the client gets a result or a structured error with its request id, and the socket lives on.
 * Frames of one connection are handled in order.
 */
@Injectable()
export class FrameRouter {
  private readonly handlers: ReadonlyMap<string, RequestHandler>;
  private readonly queues = new WeakMap<DeviceConnection, Promise<void>>();
  private readonly frames;
  private readonly latency;

  constructor(
    sync: SyncHandler,
    send: SendMessageHandler,
    ack: AckHandler,
    read: ReadHandler,
    history: HistoryHandler,
    conversations: ConversationsHandler,
    openDirect: OpenDirectHandler,
    ping: PingHandler,
    groups: GroupHandlers,
    heartbeat: HeartbeatHandler,
    presenceSubscribe: PresenceSubscribeHandler,
    typing: TypingHandler,
    privacyGet: PrivacyGetHandler,
    privacySet: PrivacySetHandler,
    private readonly presence: PresenceTracker,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    const all: RequestHandler[] = [
      sync,
      send,
      ack,
      read,
      history,
      conversations,
      openDirect,
      ping,
      ...groups.all,
      heartbeat,
      presenceSubscribe,
      typing,
      privacyGet,
      privacySet,
    ] as RequestHandler[];
    this.handlers = new Map(all.map((h) => [h.type, h]));
    const missing = REQUEST_TYPES.filter((t) => !this.handlers.has(t));
    if (missing.length > 0) throw new Error(`no handler for ${missing.join(', ')}`);
    this.frames = metrics.counter('chat_gateway_frames_total', 'Client frames by type and outcome', [
      'type',
      'outcome',
    ]);
    this.latency = metrics.histogram('chat_gateway_request_seconds', 'Time to answer a client request', [
      'type',
    ]);
  }

  onFrame(conn: DeviceConnection, raw: RawData, isBinary: boolean): void {
    const prev = this.queues.get(conn) ?? Promise.resolve();
    const next = prev.then(() => this.process(conn, raw, isBinary));
    this.queues.set(conn, next);
  }

  private async process(conn: DeviceConnection, raw: RawData, isBinary: boolean): Promise<void> {
    let id: string | null = null;
    let type = 'unknown';
    const started = performance.now();
    try {
      const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
      if (isBinary) throw new ApiError('MALFORMED_FRAME', 'frames are JSON text');
      // Parsed before the size check (ws already caps frames at HARD_FRAME_LIMIT_BYTES), so that even an
      // oversized frame's error carries its request id.
      let frame: unknown;
      try {
        frame = JSON.parse(bytes.toString('utf8'));
      } catch {
        frame = undefined;
      }
      const envelope =
        typeof frame === 'object' && frame !== null && !Array.isArray(frame)
          ? (frame as Record<string, unknown>)
          : undefined;
      if (typeof envelope?.id === 'string' && REQUEST_ID.test(envelope.id)) id = envelope.id;
      if (bytes.length > FRAME_LIMIT_BYTES) {
        throw new ApiError('FRAME_TOO_LARGE', `frames are limited to ${FRAME_LIMIT_BYTES} bytes`, {
          limit: FRAME_LIMIT_BYTES,
        });
      }
      if (frame === undefined) throw new ApiError('MALFORMED_FRAME', 'the frame is not valid JSON');
      if (!envelope) throw new ApiError('MALFORMED_FRAME', 'a frame is a JSON object');
      if (id === null)
        throw new ApiError('MALFORMED_FRAME', 'id: a request id of 1-64 printable characters is required');
      if (typeof envelope.type !== 'string')
        throw new ApiError('MALFORMED_FRAME', 'type: a string is required');
      const handler = this.handlers.get(envelope.type);
      if (!handler)
        throw new ApiError('UNKNOWN_FRAME_TYPE', `unknown frame type "${envelope.type.slice(0, 64)}"`);
      type = handler.type;
      // Any frame of an authenticated device counts as activity (a heartbeat piggybacked on it).
      this.presence.touch(conn.userId, conn.deviceId);
      const wait = handler.limit ? handler.limit(conn) : conn.limiter.take();
      if (wait > 0)
        throw new ApiError('RATE_LIMITED', 'too many frames from this device', { retryAfterMs: wait });
      const data = validateDto(handler.dto, envelope.data ?? {});
      const result = await handler.handle(conn, data as never);
      conn.send({ type: 'result', id, data: result });
      this.frames.inc({ type, outcome: 'ok' });
    } catch (err) {
      const error = this.toErrorBody(err, conn, type);
      conn.send({ type: 'error', id, error });
      this.frames.inc({ type: type as RequestType | 'unknown', outcome: error.code });
    } finally {
      this.latency.observe({ type }, (performance.now() - started) / 1000);
    }
  }

  private toErrorBody(err: unknown, conn: DeviceConnection, type: string): ErrorBody {
    if (err instanceof ApiError)
      return { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
    if (err instanceof EventSchemaError) return { code: 'VALIDATION_FAILED', message: err.message };
    // A race with `chatctl forget`: the token check passed, but no key may be made for them any more.
    if (err instanceof PersonalDataForgottenError) return { code: 'USER_FORGOTTEN', message: err.message };
    this.logger.error({ err, userId: conn.userId, deviceId: conn.deviceId, type }, 'request failed');
    return isDependencyUnavailable(err)
      ? { code: 'UNAVAILABLE', message: 'a dependency is unavailable; retry' }
      : { code: 'INTERNAL', message: 'internal error' };
  }
}
