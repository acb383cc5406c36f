import type { NatsConnection, Subscription } from '@nats-io/transport-node';

/**
 * Subscribes to JSON notices on core NATS (never stored, at most once). A message that is not JSON or
 * fails `parse` is dropped, never trusted and never allowed to throw inside the subscription.
 */
export function subscribeNotices<T>(
  nc: NatsConnection,
  subject: string,
  parse: (value: unknown) => T | undefined,
  onNotice: (notice: T) => void,
): Subscription {
  return nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      let value: unknown;
      try {
        value = msg.json();
      } catch {
        return;
      }
      const notice = parse(value);
      if (notice !== undefined) onNotice(notice);
    },
  });
}
