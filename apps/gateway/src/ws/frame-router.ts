import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { RawData } from 'ws';
import type { Logger } from 'pino';
import { EventSchemaError, PersonalDataForgottenError } from '#libs/events';
import { isDependencyUnavailable, LOGGER, MetricsService } from '#libs/platform';
import { FRAME_LIMIT_BYTES, REQUEST_TYPES, type ErrorBody, type RequestType } from '#libs/protocol';
import type { LimitsConfig } from '../gateway.config.js';
import { ApiError, expectedFailure } from '../http/api-error.js';
import { nestsDeeperThan, tooDeepMessage } from '../http/json-depth.js';
import { LIMITS_CONFIG } from '../tokens.js';
import { validateDto } from '../http/validate-body.js';
import type { DeviceConnection } from './device-connection.js';
import { FairQueue } from './fair-queue.js';
import { laneOf, type SocketLane } from './frame-lanes.js';
import { FrameCharges } from './frame-charges.js';
import { SharedRateLimiter, type Refusal } from './rate-limiter.js';
import { frameBindings, requireFrameHandlers, type FrameBinding } from './frame-handler.js';
import { PresenceTracker } from '../presence/presence-tracker.js';

const REQUEST_ID = /^[\x21-\x7e]{1,64}$/;

/** The parsed envelope of a raw frame, as far as it goes: its request id when it has a valid one. */
function readEnvelope(bytes: Buffer): {
  id: string | null;
  envelope?: Record<string, unknown>;
  json: boolean;
} {
  let frame: unknown;
  try {
    frame = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { id: null, json: false };
  }
  const envelope =
    typeof frame === 'object' && frame !== null && !Array.isArray(frame)
      ? (frame as Record<string, unknown>)
      : undefined;
  const id = typeof envelope?.id === 'string' && REQUEST_ID.test(envelope.id) ? envelope.id : null;
  return { id, json: true, ...(envelope ? { envelope } : {}) };
}

/** A frame as it arrived: refused already, or a request being charged, handled in its socket's turn. */
type Arrival =
  | { readonly kind: 'refused'; readonly id: string | null; readonly error: unknown }
  | {
      readonly kind: 'request';
      readonly id: string;
      readonly binding: FrameBinding;
      readonly data: unknown;
      readonly charge: Promise<Refusal | undefined | Error>;
    };

const toBytes = (raw: RawData): Buffer =>
  Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);

/**
 * Every client frame goes through here: size, JSON, envelope and budget on arrival; then, in its turn,
 * DTO and the frame's command or query on @nestjs/cqrs's bus. Whatever happens, the client gets a
 * result or a structured error with its request id, and the socket lives on. Frames of one connection
 * are handled in order, one at a time, within a lane (laneOf: sends per conversation, acks, pings, the
 * rest), and its lanes side by side; lanes take turns (FairQueue), so a socket's backlog waits behind
 * itself, not in front of other sockets' frames. This is the protocol's part only: what a frame
 * does is its handler's (ws/handlers, bound by @FrameHandler).
 */
@Injectable()
export class FrameRouter {
  private readonly queue: FairQueue<SocketLane>;
  private readonly lanes = new WeakMap<DeviceConnection, Map<string, SocketLane>>();
  private readonly maxQueuedPerSocket: number;
  private readonly frames;
  private readonly latency;

  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly presence: PresenceTracker,
    private readonly limiter: SharedRateLimiter,
    private readonly charges: FrameCharges,
    @Inject(LIMITS_CONFIG) limits: Readonly<LimitsConfig>,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.queue = new FairQueue(limits.MAX_FRAMES_IN_FLIGHT, limits.MAX_QUEUED_FRAMES_PER_SOCKET);
    this.maxQueuedPerSocket = limits.MAX_QUEUED_FRAMES_PER_SOCKET;
    // A frame type of the protocol without a handler stops the gateway here, at boot.
    requireFrameHandlers(REQUEST_TYPES);
    this.frames = metrics.counter('chat_gateway_frames_total', 'Client frames by type and outcome', [
      'type',
      'outcome',
    ]);
    this.latency = metrics.histogram('chat_gateway_request_seconds', 'Time to answer a client request', [
      'type',
    ]);
  }

  onFrame(conn: DeviceConnection, raw: RawData, isBinary: boolean): void {
    const started = performance.now();
    if (!this.hasRoom(conn)) {
      // The socket already has its maximum waiting: refused now, without a turn or a Redis round trip.
      const bytes = toBytes(raw);
      const id = !isBinary && bytes.length <= FRAME_LIMIT_BYTES ? readEnvelope(bytes).id : null;
      conn.send({
        type: 'error',
        id,
        error: {
          code: 'RATE_LIMITED',
          message: 'too many frames waiting on this socket',
          details: { retryAfterMs: 100 },
        },
      });
      this.frames.inc({ type: 'unknown', outcome: 'RATE_LIMITED' });
      return;
    }
    const arrival = this.arrive(conn, raw, isBinary);
    this.queue.push(
      this.laneFor(conn, arrival.kind === 'request' ? laneOf(arrival.binding.type, arrival.data) : 'main'),
      () => this.process(conn, arrival, started),
    );
  }

  /** The socket closed: its waiting frames are dropped (nobody would read their answers). */
  forget(conn: DeviceConnection): void {
    for (const key of this.lanes.get(conn)?.values() ?? []) this.queue.drop(key);
    this.lanes.delete(conn);
  }

  /** The socket's waiting frames over all its lanes stay under the per-socket bound. */
  private hasRoom(conn: DeviceConnection): boolean {
    let queued = 0;
    for (const key of this.lanes.get(conn)?.values() ?? []) queued += this.queue.queued(key);
    return queued < this.maxQueuedPerSocket;
  }

  private laneFor(conn: DeviceConnection, lane: string): SocketLane {
    let lanes = this.lanes.get(conn);
    if (!lanes) this.lanes.set(conn, (lanes = new Map()));
    let key = lanes.get(lane);
    if (!key) lanes.set(lane, (key = { conn, lane }));
    return key;
  }

  /**
   * Reads a frame as it arrives and starts charging it: the Redis round trip of the budget check then
   * overlaps the frames ahead of it on the socket instead of adding to the socket's serial path.
   */
  private arrive(conn: DeviceConnection, raw: RawData, isBinary: boolean): Arrival {
    let id: string | null = null;
    try {
      const bytes = toBytes(raw);
      if (isBinary) throw new ApiError('MALFORMED_FRAME', 'frames are JSON text');
      // Parsed before the size check (ws already caps frames at HARD_FRAME_LIMIT_BYTES), so that even an
      // oversized frame's error carries its request id.
      const { envelope, json, ...parsed } = readEnvelope(bytes);
      id = parsed.id;
      if (bytes.length > FRAME_LIMIT_BYTES) {
        throw new ApiError('FRAME_TOO_LARGE', `frames are limited to ${FRAME_LIMIT_BYTES} bytes`, {
          limit: FRAME_LIMIT_BYTES,
        });
      }
      if (!json) throw new ApiError('MALFORMED_FRAME', 'the frame is not valid JSON');
      // Before anything walks the value (class-transformer recurses per level).
      if (nestsDeeperThan(bytes)) throw new ApiError('VALIDATION_FAILED', tooDeepMessage);
      if (!envelope) throw new ApiError('MALFORMED_FRAME', 'a frame is a JSON object');
      const requestId = parsed.id;
      if (requestId === null)
        throw new ApiError('MALFORMED_FRAME', 'id: a request id of 1-64 printable characters is required');
      if (typeof envelope.type !== 'string')
        throw new ApiError('MALFORMED_FRAME', 'type: a string is required');
      const binding = frameBindings.get(envelope.type);
      if (!binding)
        throw new ApiError('UNKNOWN_FRAME_TYPE', `unknown frame type "${envelope.type.slice(0, 64)}"`);
      // Any frame of an authenticated device counts as activity (a heartbeat piggybacked on it).
      this.presence.touch(conn.userId, conn.deviceId);
      const charge = this.limiter
        .take(this.charges.of(conn, binding.type, envelope.data))
        .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      return { kind: 'request', id: requestId, binding, data: envelope.data, charge };
    } catch (err) {
      return { kind: 'refused', id, error: err };
    }
  }

  private async process(conn: DeviceConnection, arrival: Arrival, started: number): Promise<void> {
    const { id } = arrival;
    const type = arrival.kind === 'request' ? arrival.binding.type : 'unknown';
    try {
      if (arrival.kind === 'refused') throw arrival.error;
      const refused = await arrival.charge;
      if (refused instanceof Error) throw refused;
      if (refused)
        throw new ApiError('RATE_LIMITED', `over the budget of ${refused.budget.what}`, {
          retryAfterMs: refused.waitMs,
        });
      // An absent data is an empty one; null is not absent (docs/protocol.md, "Optional fields").
      const { binding } = arrival;
      const data = validateDto(binding.dto, arrival.data === undefined ? {} : arrival.data);
      const message = new binding.message(binding.type, conn, data as never);
      const result: unknown =
        binding.bus === 'command'
          ? await this.commands.execute(message)
          : await this.queries.execute(message);
      conn.send({ type: 'result', id: arrival.id, data: result });
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
    return isDependencyUnavailable(err)
      ? { code: 'UNAVAILABLE', message: 'a dependency is unavailable; retry' }
      : { code: 'INTERNAL', message: 'internal error' };
  }
}
