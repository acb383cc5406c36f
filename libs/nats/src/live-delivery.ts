import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { liveSubject, type SubjectSpace } from '#libs/events';
import type { InboxMessage, Receipt } from '#libs/protocol';

/** What travels on a user's live subject: entries for some of their devices, or a revocation. */
export type LiveDelivery =
  | {
      readonly kind: 'message';
      readonly deviceIds: readonly string[];
      readonly data: Omit<InboxMessage, 'entryId'>;
      readonly entryId: string;
    }
  | {
      readonly kind: 'receipt';
      readonly deviceIds: readonly string[];
      readonly data: Omit<Receipt, 'entryId'>;
      readonly entryId: string;
    }
  | { readonly kind: 'revoke'; readonly deviceIds: readonly string[] };

function isLiveDelivery(v: unknown): v is LiveDelivery {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (o.kind === 'message' || o.kind === 'receipt' || o.kind === 'revoke') && Array.isArray(o.deviceIds);
}

/** Publishes and subscribes live deliveries over core NATS (at most once: the inbox is the durable path). */
export class LiveDeliveryBus {
  constructor(
    private readonly nc: NatsConnection,
    private readonly space: SubjectSpace,
  ) {}

  publish(userId: string, delivery: LiveDelivery): void {
    this.nc.publish(liveSubject(this.space, userId), JSON.stringify(delivery));
  }

  subscribe(userId: string, onDelivery: (d: LiveDelivery) => void): Subscription {
    return this.nc.subscribe(liveSubject(this.space, userId), {
      callback: (err, msg) => {
        if (err) return;
        let parsed: unknown;
        try {
          parsed = msg.json();
        } catch {
          return; // not ours: ignore rather than crash the subscription
        }
        if (isLiveDelivery(parsed)) onDelivery(parsed);
      },
    });
  }

  flush(): Promise<void> {
    return this.nc.flush();
  }
}
