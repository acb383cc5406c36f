import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { PersonalDataVault, type ChatEvent, type UserEvent } from '#libs/events';
import { NatsClient, readStream, userStreamName } from '#libs/nats';
import { LOGGER } from '#libs/platform';
import { PushDirectory } from './push-directory.js';

/** Pause before following again after the ordered consumer failed (NATS down): not a busy loop. */
const RESTART_MS = 1000;

/**
 * Folds the USERS stream into the PushDirectory with one ordered consumer, from the start and then
 * live. `start()` returns once what the stream held at start-up is folded, so the first message handled
 * already sees every token registered before it. The ordered consumer resumes after the last folded
 * sequence if it has to be recreated.
 */
@Injectable()
export class UsersFollower implements OnModuleDestroy {
  private readonly abort = new AbortController();
  private following?: Promise<void>;

  constructor(
    private readonly nats: NatsClient,
    private readonly directory: PushDirectory,
    private readonly vault: PersonalDataVault<ChatEvent>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const stream = userStreamName(this.nats.topology);
    const target = (await this.nats.jsm.streams.info(stream)).state.last_seq;
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (this.directory.position >= target) caughtUp();
    this.following = this.follow(stream, target, caughtUp);
    await ready;
    this.logger.info({ position: this.directory.position }, 'push directory folded from the USERS stream');
  }

  private async follow(stream: string, target: number, caughtUp: () => void): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        for await (const m of readStream(this.nats.js, this.nats.jsm, stream, {
          fromSeq: this.directory.position + 1,
          follow: true,
          signal: this.abort.signal,
          batch: 1000,
        })) {
          try {
            this.directory.apply((await this.vault.decode(m.data)) as UserEvent, m.seq);
          } catch (err) {
            // The projector parks such an event; here it changes nothing, and the fold goes on.
            this.logger.error({ seq: m.seq, err: String(err) }, 'USERS event not folded');
            this.directory.position = m.seq;
          }
          if (m.seq >= target) caughtUp();
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.logger.warn({ err: String(err) }, 'following the USERS stream failed; following again');
      }
      if (!this.abort.signal.aborted) await new Promise((r) => setTimeout(r, RESTART_MS));
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.abort.abort();
    await this.following;
  }
}
