import { useEffect, useState } from 'preact/hooks';
import type { TimelineMessage } from '../chat/model.js';
import type { ChatStore } from '../chat/store.js';
import { titleOf } from './chat-list.js';
import { Composer } from './composer.js';
import { presenceLine } from './format.js';
import { GroupInfoPanel } from './group-info.js';
import { Timeline } from './timeline.js';

/** Under the title: who is typing, else presence (direct) or the members (group). */
function Subtitle({ store, conversationId }: { store: ChatStore; conversationId: string }) {
  const conv = store.conversations.get(conversationId);
  const typing = store.whoIsTyping(conversationId);
  if (!conv) return null;
  let line: string;
  if (typing.length) {
    const [who, state] = typing[0]!;
    const verb = state === 'recording' ? 'recording audio…' : 'typing…';
    line = conv.kind === 'group' ? `${store.contacts.label(who)} is ${verb}` : verb;
  } else if (conv.kind === 'group') {
    line = conv.members.map((u) => (u === store.me ? 'You' : store.contacts.label(u))).join(', ');
  } else {
    line = presenceLine(store.presence.get(conv.members.find((u) => u !== store.me) ?? ''));
  }
  return (
    <p class="subtitle" aria-live="polite" data-testid="chat-subtitle">
      {line}
    </p>
  );
}

export function ConversationView({
  store,
  conversationId,
  onBack,
}: {
  store: ChatStore;
  conversationId: string;
  onBack: () => void;
}) {
  const [replyTo, setReplyTo] = useState<TimelineMessage | undefined>();
  const [infoOpen, setInfoOpen] = useState(false);
  const conv = store.conversations.get(conversationId);
  useEffect(() => {
    setReplyTo(undefined);
    setInfoOpen(false);
  }, [conversationId]);
  return (
    <section class="conversation" aria-label={`Chat with ${titleOf(store, conversationId)}`}>
      <header class="conversation-header">
        <button class="back" onClick={onBack} aria-label="Back to chats">
          ←
        </button>
        <div class="titles">
          <h2>{titleOf(store, conversationId)}</h2>
          <Subtitle store={store} conversationId={conversationId} />
        </div>
        {conv?.kind === 'group' && (
          <button onClick={() => setInfoOpen(!infoOpen)} aria-expanded={infoOpen} aria-label="Group info">
            Info
          </button>
        )}
      </header>
      {infoOpen ? (
        <GroupInfoPanel store={store} conversationId={conversationId} onClose={() => setInfoOpen(false)} />
      ) : (
        <>
          <Timeline store={store} conversationId={conversationId} onReply={(m) => setReplyTo(m)} />
          <Composer
            store={store}
            conversationId={conversationId}
            {...(replyTo ? { replyTo } : {})}
            onClearReply={() => setReplyTo(undefined)}
          />
        </>
      )}
    </section>
  );
}
