import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { TimelineMessage } from '../chat/model.js';
import type { ChatStore } from '../chat/store.js';
import { dayKey, dayLabel, previewOf, systemText, timeOf } from './format.js';
import { Ticks } from './ticks.js';

/** Text with `@label` of mentioned members set apart. */
function TextWithMentions({ store, m }: { store: ChatStore; m: TimelineMessage }) {
  const labels = (m.mentions ?? []).map((u) => `@${store.contacts.label(u)}`);
  if (labels.length === 0) return <>{m.text}</>;
  const pattern = new RegExp(`(${labels.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);
  return (
    <>
      {m.text.split(pattern).map((part, i) =>
        labels.includes(part) ? (
          <strong key={i} class="mention">
            {part}
          </strong>
        ) : (
          part
        ),
      )}
    </>
  );
}

/** Media kinds shown inline (fetched through a short-lived download URL); others open on request. */
const INLINE = new Set(['image', 'voice', 'audio']);

function MediaView({ store, m }: { store: ChatStore; m: TimelineMessage }) {
  const [error, setError] = useState('');
  const [url, setUrl] = useState<string | undefined>();
  const media = m.media!;
  const kind = 'kind' in media ? media.kind : undefined;
  const name = media.fileName ?? kind ?? 'attachment';
  const inline = kind !== undefined && INLINE.has(kind) && !media.viewOnce && m.messageId !== undefined;
  useEffect(() => {
    if (!inline) return;
    let live = true;
    store.mediaUrl(m).then(
      (u) => live && setUrl(u),
      () => undefined, // the link below still offers it
    );
    return () => {
      live = false;
    };
  }, [inline, m.messageId]);
  const open = async () => {
    try {
      window.open(await store.mediaUrl(m), '_blank', 'noopener');
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <div class="media">
      {url && kind === 'image' && <img src={url} alt={name} class="inline-image" />}
      {url && (kind === 'voice' || kind === 'audio') && (
        <audio controls src={url} aria-label={kind === 'voice' ? 'Voice note' : name} />
      )}
      <button class="link" onClick={() => void open()} disabled={!m.messageId} aria-label={`Open ${name}`}>
        📎 {name}
      </button>
      {'size' in media && <small> {Math.max(1, Math.round(media.size / 1024))} KB</small>}
      {media.caption && <p>{media.caption}</p>}
      {error && <small class="error">{error}</small>}
    </div>
  );
}

function Bubble({
  store,
  m,
  group,
  onReply,
}: {
  store: ChatStore;
  m: TimelineMessage;
  group: boolean;
  onReply: (m: TimelineMessage) => void;
}) {
  if (m.system)
    return (
      <li class="system" role="note">
        {systemText(m, store.contacts)}
      </li>
    );
  const mine = m.senderUserId === store.me;
  const quoted = m.replyTo
    ? store.timeline(m.conversationId).find((x) => x.messageId === m.replyTo)
    : undefined;
  const status = mine ? store.statusOf(m) : undefined;
  return (
    <li
      class={`bubble ${mine ? 'mine' : 'theirs'}`}
      data-message-id={m.messageId ?? ''}
      data-client-message-id={m.clientMessageId}
      data-status={status ?? ''}
    >
      {group && !mine && <span class="sender">{store.contacts.label(m.senderUserId)}</span>}
      {m.replyTo && (
        <blockquote class="quote" aria-label="Replying to">
          {quoted ? (
            <>
              <span class="sender">
                {quoted.senderUserId === store.me ? 'You' : store.contacts.label(quoted.senderUserId)}
              </span>
              {previewOf(quoted, store.contacts)}
            </>
          ) : (
            'An earlier message'
          )}
        </blockquote>
      )}
      {m.media ? (
        <MediaView store={store} m={m} />
      ) : (
        <p class="text">
          <TextWithMentions store={store} m={m} />
        </p>
      )}
      <span class="meta">
        <time dateTime={m.sentAt}>{timeOf(m.sentAt)}</time>
        {status && <Ticks status={status} group={group} />}
      </span>
      {m.failed && <small class="error">{m.failed}</small>}
      {m.messageId && (
        <button
          class="reply-button"
          onClick={() => onReply(m)}
          aria-label={`Reply to ${previewOf(m, store.contacts).slice(0, 40)}`}
        >
          ↩
        </button>
      )}
    </li>
  );
}

/**
 * The messages of one conversation with day separators; scrolling to the top loads older pages
 * through `history.get`, keeping the reader's place; new messages keep the view at the bottom when
 * it was there.
 */
export function Timeline({
  store,
  conversationId,
  onReply,
}: {
  store: ChatStore;
  conversationId: string;
  onReply: (m: TimelineMessage) => void;
}) {
  const ref = useRef<HTMLOListElement>(null);
  const atBottom = useRef(true);
  const restore = useRef<number | undefined>(undefined);
  const loading = useRef(false);
  const messages = store.timeline(conversationId);
  const group = store.conversations.get(conversationId)?.kind === 'group';

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (restore.current !== undefined) {
      el.scrollTop = el.scrollHeight - restore.current;
      restore.current = undefined;
    } else if (atBottom.current) el.scrollTop = el.scrollHeight;
  });

  useEffect(() => {
    atBottom.current = true;
  }, [conversationId]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 60 && !loading.current && store.moreHistory.get(conversationId)) {
      loading.current = true;
      restore.current = el.scrollHeight - el.scrollTop;
      void store.loadOlder(conversationId).finally(() => (loading.current = false));
    }
  };

  const items: preact.JSX.Element[] = [];
  let lastDay = '';
  for (const m of messages) {
    const day = dayKey(m.sentAt);
    if (day !== lastDay) {
      items.push(
        <li key={`day-${day}`} class="day" role="separator" aria-label={dayLabel(m.sentAt)}>
          <span>{dayLabel(m.sentAt)}</span>
        </li>,
      );
      lastDay = day;
    }
    items.push(
      <Bubble
        key={`${m.senderUserId}/${m.clientMessageId}`}
        store={store}
        m={m}
        group={group}
        onReply={onReply}
      />,
    );
  }

  return (
    <ol class="timeline" ref={ref} onScroll={onScroll} aria-label="Messages" aria-live="polite" tabIndex={0}>
      {store.moreHistory.get(conversationId) && <li class="more">Scroll up for older messages</li>}
      {items}
    </ol>
  );
}
