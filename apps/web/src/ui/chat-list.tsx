import type { ChatStore } from '../chat/store.js';
import { previewOf, timeOf } from './format.js';

export function titleOf(store: ChatStore, conversationId: string): string {
  const c = store.conversations.get(conversationId);
  if (!c) return 'Chat';
  if (c.kind === 'group') return c.subject ?? 'Group';
  const other = c.members.find((u) => u !== store.me) ?? store.me;
  return store.contacts.label(other);
}

/** The chats, latest activity first, with unread counts, previews and who is typing. */
export function ChatList({ store }: { store: ChatStore }) {
  const list = store.list();
  if (list.length === 0) return <p class="empty">No chats yet. Start one with "New chat".</p>;
  return (
    <ul class="chat-list" aria-label="Chats">
      {list.map((c) => {
        const typing = store.whoIsTyping(c.conversationId);
        const title = titleOf(store, c.conversationId);
        const preview = typing.length
          ? c.kind === 'group'
            ? `${store.contacts.label(typing[0]![0])} is typing…`
            : 'typing…'
          : previewOf(c.lastMessage, store.contacts);
        return (
          <li key={c.conversationId}>
            <button
              class={`chat-item${store.openId === c.conversationId ? ' selected' : ''}`}
              aria-current={store.openId === c.conversationId ? 'true' : undefined}
              aria-label={`${title}${c.unreadCount ? `, ${c.unreadCount} unread` : ''}`}
              data-conversation-id={c.conversationId}
              onClick={() => void store.open(c.conversationId)}
            >
              <span class="chat-title">{title}</span>
              <span class="chat-time">
                {c.lastMessage || c.lastActivityAt > '1971'
                  ? timeOf(c.lastMessage?.sentAt ?? c.lastActivityAt)
                  : ''}
              </span>
              <span class={`chat-preview${typing.length ? ' typing' : ''}`}>{preview}</span>
              {c.mentioned && (
                <span class="mention-badge" aria-label="You were mentioned">
                  @
                </span>
              )}
              {c.unreadCount > 0 && (
                <span class="unread" aria-hidden="true">
                  {c.unreadCount}
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
