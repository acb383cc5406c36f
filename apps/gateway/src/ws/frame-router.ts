import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { RawData } from 'ws';
import type { Logger } from 'pino';
import { EventSchemaError, PersonalDataForgottenError } from '#libs/events';
import { LOGGER, MetricsService } from '#libs/platform';
import { FRAME_LIMIT_BYTES, REQUEST_TYPES, type ErrorBody, type RequestType } from '#libs/protocol';
import { ApiError, expectedFailure } from '../http/api-error.js';
import { nestsDeeperThan, tooDeepMessage } from '../http/json-depth.js';
import { validateDto } from '../http/validate-body.js';
import type { DeviceConnection } from './device-connection.js';
import { frameBindings } from './frame-handler.js';
import { PresenceTracker } from '../presence/presence-tracker.js';

const REQUEST_ID = /^[\x21-\x7e]{1,64}$/;

/**
 * Every client frame goes through here: size, JSON, envelope, rate limit, DTO, then the frame's command
 * or query on @nestjs/cqrs's bus. Whatever happens, the client gets a result or a structured error with
 * its request id, and the socket lives on. Frames of one connection are handled in order. This is the
 * protocol's part only; what a frame does is its handler's (ws/handlers, bound by @FrameHandler).
 */
@Injectable()
export class FrameRouter {
  private readonly queues = new WeakMap<DeviceConnection, Promise<void>>();
  private readonly frames;
  private readonly latency;

  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly presence: PresenceTracker,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    // The boot-time check: a frame type of the protocol without a handler stops the gateway here.
    const missing = REQUEST_TYPES.filter((t) => !frameBindings.has(t));
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
      // Before anything walks the value (class-transformer recurses per level).
      if (nestsDeeperThan(bytes)) throw new ApiError('VALIDATION_FAILED', tooDeepMessage);
      if (!envelope) throw new ApiError('MALFORMED_FRAME', 'a frame is a JSON object');
      if (id === null)
        throw new ApiError('MALFORMED_FRAME', 'id: a request id of 1-64 printable characters is required');
      if (typeof envelope.type !== 'string')
        throw new ApiError('MALFORMED_FRAME', 'type: a string is required');
      const binding = frameBindings.get(envelope.type);
      if (!binding)
        throw new ApiError('UNKNOWN_FRAME_TYPE', `unknown frame type "${envelope.type.slice(0, 64)}"`);
      type = binding.type;
      // Any frame of an authenticated device counts as activity (a heartbeat piggybacked on it).
      this.presence.touch(conn.userId, conn.deviceId);
      // Typing has a budget of its own, so a flood of indicators never uses up the device's.
      const wait = (type === 'typing.set' ? conn.typingLimiter : conn.limiter).take();
      if (wait > 0)
        throw new ApiError('RATE_LIMITED', 'too many frames from this device', { retryAfterMs: wait });
      // An absent data is an empty one; null is not absent (docs/protocol.md, "Optional fields").
      const data = validateDto(binding.dto, envelope.data === undefined ? {} : envelope.data);
      const message = new binding.message(binding.type, conn, data as never);
      const result: unknown =
        binding.bus === 'command'
          ? await this.commands.execute(message)
          : await this.queries.execute(message);
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
    const expected = expectedFailure(err);
    if (expected)
      return {
        code: expected.code,
        message: expected.message,
        ...(expected.details ? { details: expected.details } : {}),
      };
    if (err instanceof EventSchemaError) return { code: 'VALIDATION_FAILED', message: err.message };
    // A race with `chatctl forget`: the token check passed, but no key may be made for them any more.
    if (err instanceof PersonalDataForgottenError) return { code: 'USER_FORGOTTEN', message: err.message };
    this.logger.error({ err, userId: conn.userId, deviceId: conn.deviceId, type }, 'request failed');
    const unavailable =
      err instanceof Error &&
      /timeout|TIMEOUT|connection|NoHostAvailable|closed/i.test(`${err.name} ${err.message}`);
    return unavailable
      ? { code: 'UNAVAILABLE', message: 'a dependency is unavailable; retry' }
      : { code: 'INTERNAL', message: 'internal error' };
  }
}
