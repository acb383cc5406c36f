import { headers as natsHeaders } from '@nats-io/transport-node';
import { chatEventCodec, conversationSubject, EVENT_HEADERS, type ChatEvent } from '#libs/events';
import type { NatsClient } from '#libs/nats';
import { conversationCreated, messageSent } from '../test/support/event-fixtures.js';

/**
 * Appends `total` events (ConversationCreated for each conversation, then MessageSent round-robin)
 * with asynchronous publishes and at most `inFlight` unacknowledged at once: one awaited publish per
 * event would measure the round trip, not the server.
 */
export async function seedEvents(
  client: NatsClient,
  o: { total: number; conversations: number; inFlight?: number; onProgress?: (n: number) => void },
): Promise<{ ms: number }> {
  const started = Date.now();
  const limit = o.inFlight ?? 4096;
  let inFlight = 0;
  let slotFreed: (() => void) | undefined;
  let failure: unknown;
  const publish = async (event: ChatEvent, subject: string): Promise<void> => {
    while (inFlight >= limit) await new Promise<void>((r) => (slotFreed = r));
    if (failure) throw failure;
    const h = natsHeaders();
    h.set(EVENT_HEADERS.type, event.type);
    h.set(EVENT_HEADERS.version, String(event.version));
    h.set(EVENT_HEADERS.eventId, event.id);
    inFlight++;
    void client.js
      .publish(subject, chatEventCodec.encode(event), { headers: h, msgID: event.id })
      .catch((err: unknown) => (failure = err))
      .finally(() => {
        inFlight--;
        slotFreed?.();
        slotFreed = undefined;
      });
  };
  const ids = Array.from({ length: o.conversations }, (_, i) => `bench-${i}`);
  for (const id of ids) {
    await publish(
      conversationCreated(id, [`u${id}a`, `u${id}b`]),
      conversationSubject(client.topology, id, 'meta'),
    );
  }
  for (let n = ids.length; n < o.total; n++) {
    const id = ids[n % ids.length]!;
    const sender = n % 2 === 0 ? `u${id}a` : `u${id}b`;
    await publish(
      messageSent(id, sender, `message ${n} of the replay benchmark`),
      conversationSubject(client.topology, id, 'msg'),
    );
    if (n % 50_000 === 0) o.onProgress?.(n);
  }
  while (inFlight > 0) await new Promise<void>((r) => (slotFreed = r));
  if (failure) throw failure;
  return { ms: Date.now() - started };
}
