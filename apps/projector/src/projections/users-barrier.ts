import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DURABLES, NatsClient, userStreamName } from '#libs/nats';
import { LOGGER } from '#libs/platform';

const MAX_WAIT_MS = 5000;

/**
 * Fan-out reads devices from the users projection, which a separate consumer builds. Before a message
 * fans out, this waits until that consumer has acknowledged everything the USERS stream held at that
 * moment, so a device added before the message was sent is always among its recipients.
 */
@Injectable()
export class UsersBarrier {
  private floor = 0;

  constructor(
    private readonly nats: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async caughtUp(): Promise<void> {
    const stream = userStreamName(this.nats.topology);
    const last = (await this.nats.jsm.streams.info(stream)).state.last_seq;
    const deadline = Date.now() + MAX_WAIT_MS;
    while (this.floor < last) {
      this.floor = (await this.nats.jsm.consumers.info(stream, DURABLES.projectorUsers)).ack_floor.stream_seq;
      if (this.floor >= last) return;
      if (Date.now() > deadline) {
        this.logger.warn(
          { floor: this.floor, last },
          'users projection lags; fanning out with the devices known so far',
        );
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
