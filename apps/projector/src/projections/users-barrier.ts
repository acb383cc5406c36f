import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DURABLES, NatsClient, userStreamName } from '#libs/nats';
import { LOGGER } from '#libs/platform';

const MAX_WAIT_MS = 5000;

/**
 * Fan-out reads devices from the users projection, which a separate consumer builds (in this process or,
 * with several projectors, in the holder of the users lease). A device added before a message was sent
 * must be among its recipients. Before a message fans out, this waits until this process has seen every
 * device change the USERS stream held at that moment (UserChangesFollower reads only headers, so it
 * keeps up under any load); DeviceDirectory then waits, for a recipient with a change not yet applied,
 * until the users projection's floor passes that change (`reached`). Profile, privacy or block events
 * that pile up in the users projection delay no one's messages: only the users whose devices changed
 * wait, and only for their own change.
 *
 * Concurrent callers share round trips: a caller joins the next check that starts after it arrived
 * (never one already in flight, which may have read the stream before its message was appended), so
 * a busy projector asks once per round trip instead of twice per message.
 */
@Injectable()
export class UsersBarrier {
  private floor = 0;
  /** The users consumer's floor computed in this process (ProjectionRunner sets it once started). */
  private localFloor?: () => number | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();
  private queued: Promise<number | undefined> | undefined;
  /** A floor read in flight, shared by every caller waiting for the floor. */
  private reading?: Promise<void>;

  constructor(
    private readonly nats: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Reads the users projection's floor in process instead of asking the server for consumer info, while
   * this process holds the users lease (undefined when it gives it up: another process applies USERS).
   */
  useFloor(floorOf: (() => number | undefined) | undefined): void {
    this.localFloor = floorOf;
  }

  /** How far USERS is known applied (the users projection's floor when last checked). */
  known(): number {
    return this.floor;
  }

  /** The USERS sequence up to which this process has followed device changes (UserChangesFollower). */
  private followed: () => number = () => Infinity;
  /**
   * Where the follower started: changes before it were never seen as changes, so until the users
   * projection applied them every list read may predate one.
   */
  private followedFrom = 0;

  followChanges(followedTo: () => number, from: number): void {
    this.followed = followedTo;
    this.followedFrom = from;
  }

  /**
   * Resolves with the USERS stream's last sequence once this process followed its device changes up to
   * there, or with undefined when that lags beyond MAX_WAIT_MS (fan-out then goes on with the devices
   * known so far).
   */
  caughtUp(): Promise<number | undefined> {
    this.queued ??= this.inFlight.then(() => {
      this.queued = undefined; // callers from now on need a check that starts after them
      const check = this.check();
      this.inFlight = check.catch(() => undefined);
      return check;
    });
    return this.queued;
  }

  /**
   * Waits until the users projection applied USERS up to `seq` (a recipient's device change): true once
   * it has, false when it lags beyond MAX_WAIT_MS.
   */
  async reached(seq: number): Promise<boolean> {
    const done = await this.waitUntil(
      () => this.floor >= seq,
      () => this.floor < seq,
    );
    if (!done)
      this.logger.warn(
        { floor: this.floor, seq },
        'users projection lags; fanning out with the devices stored',
      );
    return done;
  }

  private async check(): Promise<number | undefined> {
    const last = (await this.nats.jsm.streams.info(userStreamName(this.nats.topology))).state.last_seq;
    const done = await this.waitUntil(
      () => this.followed() >= last && this.floor >= this.followedFrom,
      () => this.floor < this.followedFrom,
    );
    if (done) return last;
    this.logger.warn(
      { followed: this.followed(), last, floor: this.floor, followedFrom: this.followedFrom },
      'device changes not followed in time; fanning out with the devices known so far',
    );
    return undefined;
  }

  /**
   * Polls until `done`, reading the users projection's floor first whenever `needsFloor` (so waiting for
   * the follower alone asks the server nothing); false after MAX_WAIT_MS.
   */
  private async waitUntil(done: () => boolean, needsFloor: () => boolean): Promise<boolean> {
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      if (needsFloor()) await this.readFloor();
      if (done()) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, this.localFloor ? 2 : 20));
    }
  }

  private readFloor(): Promise<void> {
    const local = this.localFloor?.();
    if (local !== undefined) {
      this.floor = Math.max(this.floor, local);
      return Promise.resolve();
    }
    this.reading ??= this.nats.jsm.consumers
      .info(userStreamName(this.nats.topology), DURABLES.projectorUsers)
      .then((info) => {
        this.floor = Math.max(this.floor, info.ack_floor.stream_seq);
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
