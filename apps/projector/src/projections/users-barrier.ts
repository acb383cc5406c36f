import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DURABLES, NatsClient, userStreamName } from '#libs/nats';
import { LOGGER } from '#libs/platform';

const MAX_WAIT_MS = 5000;

/**
 * Fan-out reads devices from the users projection, which a separate consumer builds. Before a message
 * fans out, this waits until that consumer has acknowledged everything the USERS stream held at that
 * moment, so a device added before the message was sent is always among its recipients.
 *
 * Concurrent callers share round trips: a caller joins the next check that starts after it arrived
 * (never one already in flight, which may have read the stream before its message was appended), so
 * a busy projector asks once per round trip instead of twice per message.
 */
@Injectable()
export class UsersBarrier {
  private floor = 0;
  private inFlight: Promise<unknown> = Promise.resolve();
  private queued: Promise<number | undefined> | undefined;

  constructor(
    private readonly nats: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Resolves with the USERS stream's last sequence once the users projection has applied it, or with
   * undefined when it lags beyond MAX_WAIT_MS (fan-out then goes on with the devices known so far).
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

  private async check(): Promise<number | undefined> {
    const stream = userStreamName(this.nats.topology);
    const last = (await this.nats.jsm.streams.info(stream)).state.last_seq;
    const deadline = Date.now() + MAX_WAIT_MS;
    while (this.floor < last) {
      this.floor = (await this.nats.jsm.consumers.info(stream, DURABLES.projectorUsers)).ack_floor.stream_seq;
      if (this.floor >= last) break;
      if (Date.now() > deadline) {
        this.logger.warn(
          { floor: this.floor, last },
          'users projection lags; fanning out with the devices known so far',
        );
        return undefined;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return last;
  }
}
