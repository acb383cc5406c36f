import { useEffect, useState } from 'preact/hooks';
import type { ChatStore } from '../chat/store.js';
import { ChatList } from './chat-list.js';
import { ConversationView } from './conversation.js';
import { useStore } from './use-store.js';

type Panel = 'none' | 'new-chat' | 'new-group' | 'link';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Quiet while things work: a line only when offline or reconnecting. */
function ConnectionBanner({ store }: { store: ChatStore }) {
  if (store.connection === 'online') return null;
  if (store.connection === 'replaced')
    return (
      <p class="banner" role="status" data-connection="replaced">
        Chat is open in another window.{' '}
        <button class="link" onClick={() => store.reconnect()}>
          Use here
        </button>
      </p>
    );
  return (
    <p class={`banner ${store.connection}`} role="status" data-connection={store.connection}>
      {store.connection === 'offline'
        ? 'You are offline. Messages will be sent when you are back online.'
        : 'Connecting…'}
    </p>
  );
}

function NewChat({ store, onDone }: { store: ChatStore; onDone: (id?: string) => void }) {
  const [phone, setPhone] = useState('');
  const [error, setError] = useState('');
  return (
    <form
      class="panel"
      aria-labelledby="new-chat-title"
      onSubmit={(e) => {
        e.preventDefault();
        store.startDirect(phone.trim()).then(onDone, (err: unknown) => setError(errorText(err)));
      }}
    >
      <h2 id="new-chat-title">New chat</h2>
      <label for="new-chat-phone">Phone number</label>
      <input
        id="new-chat-phone"
        type="tel"
        value={phone}
        onInput={(e) => setPhone(e.currentTarget.value)}
        required
        autoFocus
      />
      <button type="submit">Start chat</button>
      <button type="button" class="link" onClick={() => onDone()}>
        Cancel
      </button>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

function NewGroup({ store, onDone }: { store: ChatStore; onDone: (id?: string) => void }) {
  const [subject, setSubject] = useState('');
  const [phones, setPhones] = useState('');
  const [error, setError] = useState('');
  return (
    <form
      class="panel"
      aria-labelledby="new-group-title"
      onSubmit={(e) => {
        e.preventDefault();
        const list = phones
          .split(/[\s,;]+/)
          .map((p) => p.trim())
          .filter(Boolean);
        store.createGroup(subject.trim(), list).then(onDone, (err: unknown) => setError(errorText(err)));
      }}
    >
      <h2 id="new-group-title">New group</h2>
      <label for="group-subject">Group subject</label>
      <input
        id="group-subject"
        value={subject}
        maxLength={100}
        onInput={(e) => setSubject(e.currentTarget.value)}
        required
        autoFocus
      />
      <label for="group-members">Members (phone numbers, separated by commas)</label>
      <textarea
        id="group-members"
        rows={2}
        value={phones}
        onInput={(e) => setPhones(e.currentTarget.value)}
      />
      <button type="submit">Create group</button>
      <button type="button" class="link" onClick={() => onDone()}>
        Cancel
      </button>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

function LinkDevice({ store, onDone }: { store: ChatStore; onDone: () => void }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    store.linkCode().then(setCode, (err: unknown) => setError(errorText(err)));
  }, [store]);
  return (
    <section class="panel" aria-labelledby="link-title">
      <h2 id="link-title">Link a device</h2>
      <p>On the other browser choose "Link to an account" and enter this code:</p>
      <output class="link-code" aria-label="Link code">
        {code || '…'}
      </output>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <button onClick={onDone} autoFocus>
        Done
      </button>
    </section>
  );
}

/** The signed-in screen: chats on the left (the whole screen on a phone), the open chat on the right. */
export function ChatApp({ store: s }: { store: ChatStore }) {
  const store = useStore(s);
  const [panel, setPanel] = useState<Panel>('none');
  const done = (id?: string) => {
    setPanel('none');
    if (id) void store.open(id);
  };
  return (
    <div class={`app${store.openId ? ' has-open' : ''}`}>
      <aside class="sidebar" aria-label="Chats and menu">
        <header class="sidebar-header">
          <h1 title={store.session.phone}>Chats</h1>
          <nav aria-label="Menu" class="menu">
            <button onClick={() => setPanel('new-chat')}>New chat</button>
            <button onClick={() => setPanel('new-group')}>New group</button>
            {!store.session.linked && <button onClick={() => setPanel('link')}>Link a device</button>}
            <button onClick={() => void store.signOut()}>Sign out</button>
          </nav>
        </header>
        <ConnectionBanner store={store} />
        {panel === 'new-chat' && <NewChat store={store} onDone={done} />}
        {panel === 'new-group' && <NewGroup store={store} onDone={done} />}
        {panel === 'link' && <LinkDevice store={store} onDone={() => setPanel('none')} />}
        <ChatList store={store} />
      </aside>
      <main class="main">
        {store.openId ? (
          <ConversationView
            store={store}
            conversationId={store.openId}
            onBack={() => void store.open(undefined)}
          />
        ) : (
          <p class="empty">Choose a chat, or start a new one.</p>
        )}
      </main>
    </div>
  );
}
