import { useState } from 'preact/hooks';
import { ChatHttpClient } from '#libs/client-sdk';
import { saveSession, sessionOf, type StoredSession } from '../session/session.js';

const DEVICE_NAME = 'Web browser';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sign in with a phone number and the code sent to it, or link this browser to an existing account. */
export function SignIn({
  http,
  onSignedIn,
}: {
  http: ChatHttpClient;
  onSignedIn: (s: StoredSession) => void;
}) {
  const [mode, setMode] = useState<'phone' | 'link'>('phone');
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [codeSent, setCodeSent] = useState(false);
  const [linkCode, setLinkCode] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError('');
    try {
      await action();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const requestCode = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await http.requestCode(phone.trim());
      setCodeSent(true);
    });
  };
  const verify = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      // The name is taken by a new account only (the server needs one before its first message).
      const name = displayName.trim();
      const tokens = await http.verify(
        phone.trim(),
        code.trim(),
        DEVICE_NAME,
        name === '' ? undefined : name,
      );
      const s = sessionOf(tokens, phone.trim(), false);
      saveSession(s);
      onSignedIn(s);
    });
  };
  const link = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const s = sessionOf(await http.link(linkCode.trim(), DEVICE_NAME), '', true);
      saveSession(s);
      onSignedIn(s);
    });
  };

  return (
    <main class="sign-in">
      <h1>Chat</h1>
      <div role="tablist" aria-label="How to sign in" class="tabs">
        <button role="tab" aria-selected={mode === 'phone'} onClick={() => setMode('phone')}>
          Phone number
        </button>
        <button role="tab" aria-selected={mode === 'link'} onClick={() => setMode('link')}>
          Link to an account
        </button>
      </div>
      {mode === 'phone' ? (
        !codeSent ? (
          <form onSubmit={requestCode}>
            <label for="phone">Phone number</label>
            <input
              id="phone"
              type="tel"
              autoComplete="tel"
              placeholder="+15551234567"
              value={phone}
              onInput={(e) => setPhone(e.currentTarget.value)}
              required
              autoFocus
            />
            <button type="submit" disabled={busy}>
              Send code
            </button>
          </form>
        ) : (
          <form onSubmit={verify}>
            <p>
              We sent a code to {phone}. <small>(Locally it is in the gateway's log.)</small>
            </p>
            <label for="code">Code</label>
            <input
              id="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
              required
              autoFocus
            />
            <label for="display-name">Your name (for a new account)</label>
            <input
              id="display-name"
              autoComplete="name"
              maxLength={25}
              value={displayName}
              onInput={(e) => setDisplayName(e.currentTarget.value)}
            />
            <button type="submit" disabled={busy}>
              Sign in
            </button>
            <button type="button" class="link" onClick={() => setCodeSent(false)}>
              Use another number
            </button>
          </form>
        )
      ) : (
        <form onSubmit={link}>
          <p>On your signed-in device open the menu and choose "Link a device", then enter its code here.</p>
          <label for="link-code">Link code</label>
          <input
            id="link-code"
            value={linkCode}
            onInput={(e) => setLinkCode(e.currentTarget.value)}
            required
            autoFocus
          />
          <button type="submit" disabled={busy}>
            Link this browser
          </button>
        </form>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </main>
  );
}
