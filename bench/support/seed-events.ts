import { errors, headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import {
  chatEventCodec,
  conversationSubject,
  EVENT_HEADERS,
  userSubject,
  type ChatEvent,
} from '#libs/events';
import type { NatsClient } from '#libs/nats';
import {
  conversationCreated,
  deviceAdded,
  messageSent,
  userRegistered,
} from '../../test/support/event-fixtures.js';

/**
 * Asynchronous publishes with at most `limit` unacknowledged at once: one awaited publish per event
 * would measure the round trip, not the server.
 */
class BoundedPublisher {
  private inFlight = 0;
  private slotFreed?: () => void;
  private failure: unknown;

  constructor(
    private readonly client: NatsClient,
    private readonly limit: number,
  ) {}

  async publish(subject: string, event: ChatEvent): Promise<void> {
    while (this.inFlight >= this.limit) await new Promise<void>((r) => (this.slotFreed = r));
    if (this.failure) throw this.failure;
    const h = natsHeaders();
    h.set(EVENT_HEADERS.type, event.type);
    h.set(EVENT_HEADERS.version, String(event.version));
    h.set(EVENT_HEADERS.eventId, event.id);
    this.inFlight++;
    void this.send(subject, chatEventCodec.encode(event), h, event.id)
      .catch((err: unknown) => (this.failure ??= err))
      .finally(() => {
        this.inFlight--;
        this.slotFreed?.();
        this.slotFreed = undefined;
      });
  }

  /** A publish that timed out on a busy server is sent again: the same msgID makes that safe. */
  private async send(subject: string, payload: Uint8Array, h: MsgHdrs, msgID: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.js.publish(subject, payload, { headers: h, msgID });
        return;
      } catch (err) {
        if (!(err instanceof errors.TimeoutError) || attempt >= 5) throw err;
      }
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((r) => (this.slotFreed = r));
    if (this.failure) throw this.failure;
  }
}

export interface SeedOptions {
  readonly total: number;
  readonly inFlight?: number;
  readonly onProgress?: (n: number) => void;
}

/**
 * ConversationCreated for each conversation, then MessageSent round-robin, into CHAT_<p>: the seed of
 * the rebuild workload's conversations target.
 */
export async function seedEvents(
  client: NatsClient,
  o: SeedOptions & { conversations: number },
): Promise<{ ms: number }> {
  const started = Date.now();
  const out = new BoundedPublisher(client, o.inFlight ?? 1024);
  const ids = Array.from({ length: o.conversations }, (_, i) => `bench-${i}`);
  for (const id of ids) {
    await out.publish(
      conversationSubject(client.topology, id, 'meta'),
      conversationCreated(id, [`u${id}a`, `u${id}b`]),
    );
  }
  for (let n = ids.length; n < o.total; n++) {
    const id = ids[n % ids.length]!;
    const sender = n % 2 === 0 ? `u${id}a` : `u${id}b`;
    await out.publish(
      conversationSubject(client.topology, id, 'msg'),
      messageSent(id, sender, `message ${n} of the replay benchmark`),
    );
    if (n % 50_000 === 0) o.onProgress?.(n);
  }
  await out.drain();
  return { ms: Date.now() - started };
}

/** UserRegistered for each user, then DeviceAdded round-robin, into USERS (what `rebuild users` reads). */
export async function seedUserEvents(
  client: NatsClient,
  o: SeedOptions & { users: number },
): Promise<{ ms: number }> {
  const started = Date.now();
  const out = new BoundedPublisher(client, o.inFlight ?? 1024);
  for (let u = 0; u < o.users; u++) {
    await out.publish(
      userSubject(client.topology, `bu${u}`),
      userRegistered(`bu${u}`, `+1${String(4150000000 + u)}`),
    );
  }
  for (let n = o.users; n < o.total; n++) {
    const user = `bu${n % o.users}`;
    await out.publish(userSubject(client.topology, user), deviceAdded(user, `d${n}`));
    if (n % 50_000 === 0) o.onProgress?.(n);
  }
  await out.drain();
  return { ms: Date.now() - started };
}
