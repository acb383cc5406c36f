import { useEffect, useState } from 'preact/hooks';
import type { ChatStore } from '../chat/store.js';

/** Subject, description and members of a group; admins add, remove, promote and demote here. */
export function GroupInfoPanel({
  store,
  conversationId,
  onClose,
}: {
  store: ChatStore;
  conversationId: string;
  onClose: () => void;
}) {
  const [phone, setPhone] = useState('');
  useEffect(() => {
    void store.loadGroupInfo().catch(() => undefined);
  }, [store, conversationId]);
  const info = store.groupInfo?.conversationId === conversationId ? store.groupInfo : undefined;
  const iAmAdmin = info?.members.some((m) => m.userId === store.me && m.role === 'admin') ?? false;
  return (
    <section class="group-info" aria-labelledby="group-info-title">
      <header>
        <h2 id="group-info-title">Group info</h2>
        <button onClick={onClose} aria-label="Close group info" autoFocus>
          ✕
        </button>
      </header>
      {!info ? (
        <p>Loading…</p>
      ) : (
        <>
          <p class="subject">{info.subject}</p>
          {info.description && <p>{info.description}</p>}
          <h3>{info.members.length} members</h3>
          <ul class="members" aria-label="Members">
            {info.members.map((m) => (
              <li key={m.userId} data-user-id={m.userId}>
                <span>
                  {m.userId === store.me ? 'You' : store.contacts.label(m.userId)}
                  {m.role === 'admin' && <span class="badge"> admin</span>}
                </span>
                {iAmAdmin && m.userId !== store.me && (
                  <span class="actions">
                    {m.role === 'admin' ? (
                      <button onClick={() => void store.groupAction('demote', conversationId, m.userId)}>
                        Dismiss as admin
                      </button>
                    ) : (
                      <button onClick={() => void store.groupAction('promote', conversationId, m.userId)}>
                        Make admin
                      </button>
                    )}
                    <button onClick={() => void store.groupAction('remove', conversationId, m.userId)}>
                      Remove {store.contacts.label(m.userId)}
                    </button>
                  </span>
                )}
              </li>
            ))}
          </ul>
          {iAmAdmin && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void store.groupAction('add', conversationId, phone.trim()).then(() => setPhone(''));
              }}
            >
              <label for="add-member">Add member (phone number)</label>
              <input
                id="add-member"
                type="tel"
                value={phone}
                onInput={(e) => setPhone(e.currentTarget.value)}
                required
              />
              <button type="submit">Add</button>
            </form>
          )}
          <button
            class="danger"
            onClick={() => void store.groupAction('leave', conversationId).then(onClose)}
          >
            Leave group
          </button>
        </>
      )}
      {store.notice && (
        <p role="alert" class="error">
          {store.notice}
        </p>
      )}
    </section>
  );
}
