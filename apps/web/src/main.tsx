import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ChatHttpClient } from '#libs/client-sdk';
import { ChatStore } from './chat/store.js';
import { loadSession, type StoredSession } from './session/session.js';
import { ChatApp } from './ui/chat-app.js';
import { SignIn } from './ui/sign-in.js';
import './styles.css';

/** The page is served by the gateway, so the API and the WebSocket are at this page's origin. */
const http = new ChatHttpClient({ baseUrl: location.origin, fetch: (...a) => fetch(...a) });

function App() {
  const [session, setSession] = useState<StoredSession | undefined>(loadSession);
  const store = useMemo(
    () => (session ? new ChatStore(session, location.origin, () => setSession(undefined)) : undefined),
    [session],
  );
  useEffect(() => {
    if (!store) return;
    store.start();
    return () => void store.stop();
  }, [store]);
  return store ? <ChatApp store={store} /> : <SignIn http={http} onSignedIn={setSession} />;
}

render(<App />, document.getElementById('app')!);
