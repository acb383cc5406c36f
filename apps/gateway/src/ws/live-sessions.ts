import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { partitionOf } from '#libs/events';
import { CLOSE_CODES, type InboxMessage, type ServerFrame } from '#libs/protocol';
import { LiveDeliveryBus, NatsClient, type LiveEntry, type LiveFrame } from '#libs/nats';
import { BoundedMap, LOGGER, MetricsService } from '#libs/platform';
import type { DeviceConnection, SentEntry } from './device-connection.js';
import { LiveProgress } from './live-progress.js';
import { deviceEntry } from '../e2e/device-entry.js';

/** The inbox-entry frame of a live entry, and what to remember of it. */
export function entryFrame(
  d: LiveEntry,
  entryId: string,
): {
  frame: ServerFrame;
  entry: SentEntry;
} {
  if (d.kind === 'message') {
    return {
      frame: { type: 'message', data: { ...d.data, entryId } },
      entry: messageEntry(d.data),
    };
  }
  if (d.kind === 'update')
    return {
      frame: { type: 'update', data: { ...d.data, entryId } },
      entry: { kind: 'update', conversationId: d.data.conversationId },
    };
  return {
    frame: { type: 'receipt', data: { ...d.data, entryId } },
    entry: { kind: 'receipt', conversationId: d.data.conversationId },
  };
}

/** A system message is not acknowledged as delivered: it has no sender waiting for ticks. */
function messageEntry(m: Omit<InboxMessage, 'entryId'>): SentEntry {
  return m.system
    ? { kind: 'message', conversationId: m.conversationId }
    : {
        kind: 'message',
        conversationId: m.conversationId,
        messageId: m.messageId,
        senderUserId: m.senderUserId,
      };
}

export function describeFrame(frame: ServerFrame): SentEntry {
  if (frame.type === 'message') return messageEntry(frame.data);
  if (frame.type === 'receipt') return { kind: 'receipt', conversationId: frame.data.conversationId };
  if (frame.type === 'update') return { kind: 'update', conversationId: frame.data.conversationId };
  throw new Error(`not an entry frame: ${frame.type}`);
}

/** Longest wait for a partition's first progress after this gateway started (the reactor announces ~1/s). */
const FIRST_PROGRESS_MAX_MS = 5000;
/** Longest wait for the floor to pass what was published live before a connection registered. */
const FLOOR_MAX_MS = 15_000;

/** Messages routed to this gateway's sockets, remembered for requests that name them (MessageRefs). */
const RECENT_MESSAGES_MAX = 50_000;

/** Per partition, the highest event published live before a connection registered (or how to learn it). */
type Marks = ReadonlyMap<number, number | Promise<number | undefined>>;

export class LiveBacklogNotPersisted extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(readonly partition: number) {
    super(`events of partition ${partition} published live are not persisted yet`);
  }
}

/**
 * The devices connected to this gateway. One wildcard subscription receives every live frame; each
 * frame lists its recipients' devices and is routed here, in process, to the sockets it names.
 *
 * Frames go out before their events are persisted, so a device that registers while an event is
 * between the two could miss it live (it was routed before the device was here) and in its sync (no
 * inbox row yet). Each registration therefore notes, per partition, the highest event this gateway had
 * received live; every later frame reaches the connection. The connection's first sync waits until the
 * reactor's floor passes the noted events (`settled`). A gateway that just started cannot know what was
 * published before its subscription existed: it takes the `published` of the first progress it hears,
 * which the reactor sent after the subscription was in place and after all the frames it counts. So
 * does a gateway after a break in the live feed (interruptAll).
 */
@Injectable()
export class LiveSessions implements OnModuleInit, OnModuleDestroy {
  private readonly users = new Map<string, Set<DeviceConnection>>();
  /** Highest stream sequence of a frame received, per partition. */
  private readonly heard = new Map<number, number>();
  private readonly marks = new WeakMap<DeviceConnection, Marks>();
  /** `conversationId/messageId` -> where it sits, for messages routed here live (insertion order: oldest first). */
  private readonly recent = new BoundedMap<string, { seq: number; senderUserId: string }>(
    RECENT_MESSAGES_MAX,
  );
  private readonly gauge;
  private sub?: Subscription;

  constructor(
    private readonly bus: LiveDeliveryBus,
    private readonly nats: NatsClient,
    private readonly progress: LiveProgress,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.gauge = metrics.gauge(
      'chat_gateway_connections',
      'Authenticated device connections on this gateway',
    );
  }

  onModuleInit(): void {
    this.sub = this.bus.subscribeAll((f) => this.route(f));
    // After the frame subscription: a progress heard was sent after every frame it counts could reach us.
    this.progress.start();
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** Registers a connection: every frame received from now on that names its device reaches it. */
  add(conn: DeviceConnection): void {
    let connections = this.users.get(conn.userId);
    if (!connections) {
      connections = new Set();
      this.users.set(conn.userId, connections);
    }
    connections.add(conn);
    this.gauge.inc();
    this.marks.set(conn, this.marksNow());
  }

  private marksNow(): Marks {
    const marks = new Map<number, number | Promise<number | undefined>>();
    for (let p = 0; p < this.nats.topology.partitions; p++) {
      const heard = this.heard.get(p) ?? 0;
      const known = this.progress.current(p);
      if (known) {
        marks.set(p, Math.max(heard, known.published));
        continue;
      }
      const first = this.progress.firstOf(p).then((f) => Math.max(heard, f.published));
      marks.set(p, withTimeout(first, FIRST_PROGRESS_MAX_MS));
    }
    return marks;
  }

  /**
   * Resolves once every event published live before the connection registered is persisted, so its
   * sync finds them in the inbox. Without any progress from the reactor (none is running), it goes on:
   * unpersisted events are then redelivered and published again, to this connection too.
   */
  async settled(conn: DeviceConnection): Promise<void> {
    const marks = this.marks.get(conn);
    if (!marks) return;
    await Promise.all(
      [...marks].map(async ([partition, mark]) => {
        const target = await mark;
        if (target === undefined) {
          this.logger.warn({ partition }, 'no projection progress heard; syncing without waiting');
          return;
        }
        if (!(await this.progress.untilFloor(partition, target, FLOOR_MAX_MS)))
          throw new LiveBacklogNotPersisted(partition);
      }),
    );
    this.marks.delete(conn); // settled once: frames since registration reach the connection live
  }

  /**
   * Resolves once every frame this gateway has received for the conversation's partition is persisted
   * (or after FLOOR_MAX_MS): a device may read, quote or ask about a message it got live before the
   * message's row exists.
   */
  async persisted(conversationId: string): Promise<void> {
    const partition = partitionOf(conversationId, this.nats.topology.partitions);
    const target = this.heard.get(partition) ?? 0;
    await this.progress.untilFloor(partition, target, FLOOR_MAX_MS);
  }

  /** Where a message routed live to a socket here sits: known before its row is written. */
  routedMessage(
    conversationId: string,
    messageId: string,
  ): { seq: number; senderUserId: string } | undefined {
    return this.recent.get(`${conversationId}/${messageId}`);
  }

  remove(conn: DeviceConnection): void {
    const connections = this.users.get(conn.userId);
    if (!connections?.delete(conn)) return;
    this.gauge.dec();
    if (connections.size === 0) this.users.delete(conn.userId);
  }

  /** The sockets of one device on this gateway. */
  ofDevice(userId: string, deviceId: string): DeviceConnection[] {
    return [...(this.users.get(userId) ?? [])].filter((c) => c.deviceId === deviceId);
  }

  /** The sockets of every device of one user on this gateway. */
  ofUser(userId: string): DeviceConnection[] {
    return [...(this.users.get(userId) ?? [])];
  }

  all(): DeviceConnection[] {
    return [...this.users.values()].flatMap((u) => [...u]);
  }

  /**
   * Live frames meant for these sockets may be lost (this gateway's NATS connection broke, or a
   * projector's did): closes every socket with "going away", so each client reconnects (to any gateway)
   * and syncs from its floor, which holds whatever it missed.
   */
  interruptAll(why: string): void {
    // Before the sockets close: their devices register again, and must wait for fresh progress, as the
    // announcements of frames lost with the break may be lost too (their sync would not wait for them).
    this.progress.interrupted();
    const connections = this.all();
    this.logger.warn({ connections: connections.length, why }, 'live feed interrupted: closing sockets');
    for (const c of connections) c.socket.close(CLOSE_CODES.goingAway, 'LIVE_FEED_INTERRUPTED');
  }

  private route(f: LiveFrame): void {
    if (f.kind === 'interrupted') return this.interruptAll("a projector's NATS connection came back");
    if (f.kind === 'revoke') {
      for (const c of this.users.get(f.userId) ?? [])
        if (f.deviceIds.includes(c.deviceId)) c.socket.close(CLOSE_CODES.revoked, 'DEVICE_REVOKED');
      return;
    }
    if (f.seq > (this.heard.get(f.partition) ?? 0)) this.heard.set(f.partition, f.seq);
    let built: ReturnType<typeof entryFrame> | undefined;
    for (const r of f.recipients) {
      const connections = this.users.get(r.userId);
      if (!connections) continue;
      for (const c of connections) {
        if (!r.deviceIds.includes(c.deviceId)) continue;
        if (f.bodies) {
          // Pairwise E2E: each device its own ciphertext (issue 17).
          const own = deviceEntry(f.entry, f.bodies, r.userId, c.deviceId);
          if (!own) continue;
          built = entryFrame(own, f.entryId);
          c.pushEntry(f.entryId, built.frame, built.entry);
          continue;
        }
        built ??= entryFrame(f.entry, f.entryId);
        c.pushEntry(f.entryId, built.frame, built.entry);
      }
    }
    if (built && f.entry.kind === 'message') {
      const m = f.entry.data;
      this.recent.set(`${m.conversationId}/${m.messageId}`, { seq: m.seq, senderUserId: m.senderUserId });
    }
  }
}

/** The promise's value, or undefined if it takes longer than `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
