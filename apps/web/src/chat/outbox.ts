import type { MediaAttachment, MediaKind } from '#libs/protocol';

/** A message written on this device that the server has not acknowledged yet. */
export interface OutboxItem {
  readonly clientMessageId: string;
  readonly conversationId: string;
  readonly text?: string;
  readonly media?: MediaAttachment;
  /** What this page knows of the upload, to show it before the server's reference comes back. */
  readonly mediaKind?: MediaKind;
  readonly replyTo?: string;
  readonly mentions?: string[];
  readonly writtenAt: string;
}

/**
 * Messages waiting for the server, kept in localStorage so a reload or a network outage loses none.
 * Each keeps its clientMessageId for good: sending it again after a lost answer gets the same message
 * back from the server (`duplicate: true`), never a second one.
 */
export class Outbox {
  private items: OutboxItem[];

  constructor(private readonly key: string) {
    this.items = Outbox.read(key);
  }

  private static read(key: string): OutboxItem[] {
    try {
      const v: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
      return Array.isArray(v)
        ? (v as OutboxItem[]).filter(
            (i) => typeof i?.clientMessageId === 'string' && typeof i.conversationId === 'string',
          )
        : [];
    } catch {
      return [];
    }
  }

  all(): readonly OutboxItem[] {
    return this.items;
  }

  add(item: OutboxItem): void {
    this.items = [...this.items, item];
    this.persist();
  }

  remove(clientMessageId: string): void {
    this.items = this.items.filter((i) => i.clientMessageId !== clientMessageId);
    this.persist();
  }

  clear(): void {
    this.items = [];
    localStorage.removeItem(this.key);
  }

  private persist(): void {
    localStorage.setItem(this.key, JSON.stringify(this.items));
  }
}
