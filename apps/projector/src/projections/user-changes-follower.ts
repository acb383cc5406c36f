import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { NatsClient, readStream, userStreamName } from '#libs/nats';
import { LOGGER } from '#libs/platform';
import { DeviceDirectory } from './device-directory.js';
import { UsersBarrier } from './users-barrier.js';

/** Pause before following again after the ordered consumer failed (NATS down): not a busy loop. */
const RESTART_MS = 500;
/**
 * Long-lived ordered consumers are named `follower-...` (stream-reader's namePrefix), with this
 * process's own suffix: two projectors must never name one consumer alike.
 */
const FOLLOWER_PREFIX = `follower-projector-devices-${randomBytes(4).toString('hex')}`;
/** The event types that change a user's device list (the header every event carries). */
const DEVICE_CHANGES = new Set(['DeviceAdded', 'DeviceRemoved', 'UserForgotten']);

/**
 * With several projectors, one of them (the users lease's holder) applies USERS; the others' device
 * lists (DeviceDirectory) would keep a device list from before a change forever. Every projector
 * therefore follows USERS from its start with one ordered consumer, reading only headers and subjects,
 * and drops the list of a user whose devices changed; the UsersBarrier waits for this follower before a
 * fan-out, and the directory reads a changed user's list again once the users projection applied it.
 */
@Injectable()
export class UserChangesFollower implements OnModuleDestroy {
  private readonly abort = new AbortController();
  private following?: Promise<void>;
  private position = 0;

  constructor(
    private readonly nats: NatsClient,
    private readonly directory: DeviceDirectory,
    private readonly barrier: UsersBarrier,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** From the end of USERS now: the directory is empty at start, so earlier changes are in what it reads. */
  async start(): Promise<void> {
    const stream = userStreamName(this.nats.topology);
    this.position = (await this.nats.jsm.streams.info(stream)).state.last_seq;
    this.barrier.followChanges(() => this.position, this.position);
    this.following = this.follow(stream);
  }

  private async follow(stream: string): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        for await (const m of readStream(this.nats.js, this.nats.jsm, stream, {
          fromSeq: this.position + 1,
          follow: true,
          signal: this.abort.signal,
          batch: 1000,
          namePrefix: FOLLOWER_PREFIX,
          headersOnly: true,
        })) {
          const type = m.headers?.get('Chat-Event-Type') ?? '';
          if (DEVICE_CHANGES.has(type)) {
            this.directory.invalidate(m.subject.slice(m.subject.lastIndexOf('.') + 1), m.seq);
          }
          this.position = m.seq;
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.logger.warn({ err: String(err) }, 'following USERS for device changes failed; following again');
      }
      if (!this.abort.signal.aborted) await new Promise((r) => setTimeout(r, RESTART_MS));
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.abort.abort();
    await this.following;
  }
}
