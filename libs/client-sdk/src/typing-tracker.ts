import type { TypingIndicator } from '#libs/protocol';

/** Who is typing or recording where, as the receiver sees it. */
export interface TypingEntry {
  readonly conversationId: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly state: 'typing' | 'recording';
  readonly until: number;
}

/**
 * Typing indicators expire on the receiver: an indicator not refreshed within its `expiresInMs` is
 * dropped, so a "stopped" that never came does not leave someone typing forever. Pure (the clock is given).
 */
export class TypingTracker {
  private readonly entries = new Map<string, TypingEntry>();

  /** Applies an indicator; answers whether what the receiver shows changed. */
  apply(t: TypingIndicator, now: number): boolean {
    const key = `${t.conversationId}/${t.userId}/${t.deviceId}`;
    const had = this.entries.get(key);
    if (t.state === 'stopped') return this.entries.delete(key);
    this.entries.set(key, { ...t, state: t.state, until: now + t.expiresInMs });
    return had?.state !== t.state;
  }

  /** Drops what expired; answers the entries dropped. */
  expire(now: number): TypingEntry[] {
    const gone: TypingEntry[] = [];
    for (const [key, e] of this.entries)
      if (e.until <= now) {
        this.entries.delete(key);
        gone.push(e);
      }
    return gone;
  }

  /** Who is typing or recording in a conversation now. */
  active(conversationId: string, now: number): TypingEntry[] {
    return [...this.entries.values()].filter((e) => e.conversationId === conversationId && e.until > now);
  }

  /** The earliest expiry, to schedule the next check. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) if (next === undefined || e.until < next) next = e.until;
    return next;
  }
}
