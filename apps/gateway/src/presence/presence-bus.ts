import { Injectable } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { presenceLiveSubject, typingSubject } from '#libs/events';
import { NatsClient } from '#libs/nats';
import type { PrivacySettings } from '#libs/domain';
import type { TypingIndicator } from '#libs/protocol';

/** What travels on a user's live presence subject: a transition, or a privacy change to re-evaluate. */
export interface PresenceLive {
  readonly userId: string;
  readonly online: boolean;
  /** ms since the epoch; with online: false. */
  readonly lastSeen?: number;
  /** The user's new privacy settings and their version (stream sequence), when they changed. */
  readonly privacy?: { readonly settings: PrivacySettings; readonly version: number };
}

function parse<T>(data: Uint8Array, valid: (v: Record<string, unknown>) => boolean): T | undefined {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(data));
    return typeof v === 'object' && v !== null && valid(v as Record<string, unknown>) ? (v as T) : undefined;
  } catch {
    return undefined; // not ours: ignore rather than crash the subscription
  }
}

/** Core NATS (at most once, never stored) for live presence and typing indicators. */
@Injectable()
export class PresenceBus {
  constructor(private readonly nats: NatsClient) {}

  publishPresence(update: PresenceLive): void {
    this.nats.nc.publish(presenceLiveSubject(this.nats.topology, update.userId), JSON.stringify(update));
  }

  subscribePresence(userId: string, on: (u: PresenceLive) => void): Subscription {
    return this.nats.nc.subscribe(presenceLiveSubject(this.nats.topology, userId), {
      callback: (err, msg) => {
        if (err) return;
        const u = parse<PresenceLive>(msg.data, (v) => v.userId === userId && typeof v.online === 'boolean');
        if (u) on(u);
      },
    });
  }

  publishTyping(t: TypingIndicator): void {
    this.nats.nc.publish(typingSubject(this.nats.topology, t.conversationId), JSON.stringify(t));
  }

  subscribeTyping(conversationId: string, on: (t: TypingIndicator) => void): Subscription {
    return this.nats.nc.subscribe(typingSubject(this.nats.topology, conversationId), {
      callback: (err, msg) => {
        if (err) return;
        const t = parse<TypingIndicator>(
          msg.data,
          (v) => v.conversationId === conversationId && typeof v.userId === 'string',
        );
        if (t) on(t);
      },
    });
  }

  flush(): Promise<void> {
    return this.nats.nc.flush();
  }
}
