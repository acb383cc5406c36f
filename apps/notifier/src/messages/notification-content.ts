import type { MessageSent } from '#libs/events';
import type { Notification } from '../senders/push-sender.js';

const MEDIA_LABEL = {
  image: 'Photo',
  video: 'Video',
  audio: 'Audio',
  voice: 'Voice message',
  document: 'Document',
} as const;

const PREVIEW_CHARS = 120;

/**
 * What a push says. The preview is shown only when the recipient allows it and the server can read the
 * content: E2E content says only "New message", media says its kind (with its caption).
 */
export function notificationContent(
  event: MessageSent,
  opts: { senderName: string; preview: 'show' | 'hide'; count: number },
): Notification {
  const d = event.data;
  const base = {
    conversationId: d.conversationId,
    messageId: d.messageId,
    count: opts.count,
    collapseKey: d.conversationId,
  };
  if (opts.preview === 'hide' || d.content.type === 'e2e')
    return {
      ...base,
      title: 'New message',
      body: opts.count > 1 ? `${opts.count} new messages` : 'New message',
    };
  let body: string;
  switch (d.content.type) {
    case 'text':
      body =
        d.content.text.length > PREVIEW_CHARS
          ? `${d.content.text.slice(0, PREVIEW_CHARS - 1)}…`
          : d.content.text;
      break;
    case 'media': {
      const label = MEDIA_LABEL[d.content.kind];
      body = d.content.caption ? `${label}: ${d.content.caption.slice(0, PREVIEW_CHARS)}` : label;
      break;
    }
    case 'location':
      body = d.content.liveUntil
        ? 'Live location'
        : d.content.name
          ? `Location: ${d.content.name}`
          : 'Location';
      break;
    default: {
      const _exhaustive: never = d.content;
      return _exhaustive;
    }
  }
  if (opts.count > 1) body = `${body} (+${opts.count - 1} more)`;
  return { ...base, title: opts.senderName, body };
}
