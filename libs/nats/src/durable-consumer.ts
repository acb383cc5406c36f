import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { EventSchemaError } from '#libs/events';

export interface DurableConsumerOptions {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject?: string;
  /** Messages with the same key are handled one at a time in stream order; other keys in parallel. */
  readonly keyOf: (msg: JsMsg) => string;
  readonly handle: (msg: JsMsg) => Promise<void>;
  readonly logger: Logger;
  readonly maxInFlight?: number;
  readonly ackWaitMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates the durable consumer if missing (or updates it), so its name reads well in `nats consumer ls`. */
export async function ensureDurable(
  jsm: JetStreamManager,
  o: Pick<DurableConsumerOptions, 'stream' | 'durable' | 'filterSubject' | 'ackWaitMs'>,
): Promise<void> {
  const config = {
    durable_name: o.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(o.ackWaitMs ?? 10_000),
    max_ack_pending: 2000,
    max_deliver: -1,
    ...(o.filterSubject ? { filter_subject: o.filterSubject } : {}),
  };
  try {
    await jsm.consumers.info(o.stream, o.durable);
    await jsm.consumers.update(o.stream, o.durable, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
    });
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    await jsm.consumers.add(o.stream, config);
  }
}

/**
 * One consumer loop shape everywhere: consume, handle, ack. A failing handler is retried with backoff
 * (telling JetStream the message is still being worked on), holding back only its own key; a message
 * that cannot be decoded is terminated with its reason logged. stop() stops pulling and waits for the
 * work in flight, so a restart resumes exactly after what was acknowledged.
 */
export class DurableConsumer {
  private messages?: ConsumerMessages;
  private readonly chains = new Map<string, Promise<void>>();
  private inFlight = 0;
  private slotFreed?: () => void;
  private loop?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly o: DurableConsumerOptions,
  ) {}

  async start(): Promise<void> {
    await ensureDurable(this.jsm, this.o);
    const consumer = await this.js.consumers.get(this.o.stream, this.o.durable);
    this.messages = await consumer.consume({ max_messages: 512 });
    this.loop = this.run(this.messages);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    const max = this.o.maxInFlight ?? 128;
    for await (const msg of messages) {
      while (this.inFlight >= max) await new Promise<void>((r) => (this.slotFreed = r));
      const key = this.o.keyOf(msg);
      this.inFlight++;
      const next = (this.chains.get(key) ?? Promise.resolve()).then(() => this.process(msg));
      this.chains.set(key, next);
      void next.finally(() => {
        this.inFlight--;
        if (this.chains.get(key) === next) this.chains.delete(key);
        this.slotFreed?.();
        this.slotFreed = undefined;
      });
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopping && attempt > 1) return; // leave it unacknowledged: it is redelivered after restart
      try {
        await this.o.handle(msg);
        msg.ack();
        return;
      } catch (err) {
        if (err instanceof EventSchemaError) {
          this.o.logger.error(
            { stream: this.o.stream, seq: msg.seq, subject: msg.subject, code: err.code, err: err.message },
            'poison event terminated',
          );
          msg.term(`${err.code}: ${err.message}`);
          return;
        }
        const delay = Math.min(100 * 2 ** Math.min(attempt, 6), 5000);
        this.o.logger.warn(
          {
            stream: this.o.stream,
            seq: msg.seq,
            attempt,
            err: err instanceof Error ? err.message : String(err),
          },
          'handler failed; retrying',
        );
        msg.working();
        await sleep(delay);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.loop;
    await Promise.allSettled([...this.chains.values()]);
  }
}
