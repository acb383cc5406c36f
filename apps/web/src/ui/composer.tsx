import { useEffect, useRef, useState } from 'preact/hooks';
import type { TimelineMessage } from '../chat/model.js';
import type { ChatStore } from '../chat/store.js';
import { previewOf } from './format.js';

const EMOJI = ['😀', '😂', '😍', '👍', '🙏', '🎉', '❤️', '😢', '😮', '🔥', '👋', '✅'];
/** Typing is re-announced at most this often while the person keeps typing. */
const TYPING_EVERY_MS = 3000;

/** Uploads on their way, each with its progress bar or the server's reason for refusing it. */
function Uploads({ store, conversationId }: { store: ChatStore; conversationId: string }) {
  const mine = store.uploads.filter((u) => u.conversationId === conversationId);
  if (mine.length === 0) return null;
  return (
    <ul class="uploads" aria-label="Uploads">
      {mine.map((u) => (
        <li key={u.id} class="upload" data-file-name={u.fileName}>
          <span class="file-name">📎 {u.fileName}</span>
          {u.error ? (
            <>
              <span role="alert" class="error upload-error">
                {u.error}
              </span>
              <button
                class="link"
                onClick={() => store.dismissUpload(u.id)}
                aria-label={`Dismiss ${u.fileName}`}
              >
                Dismiss
              </button>
            </>
          ) : (
            <progress
              max={100}
              value={Math.round(u.progress * 100)}
              aria-label={`Uploading ${u.fileName}`}
              aria-valuenow={Math.round(u.progress * 100)}
            />
          )}
        </li>
      ))}
    </ul>
  );
}

/** Text, emoji, attachments, voice notes and the quoted message being answered. */
export function Composer({
  store,
  conversationId,
  replyTo,
  onClearReply,
}: {
  store: ChatStore;
  conversationId: string;
  replyTo?: TimelineMessage;
  onClearReply: () => void;
}) {
  const [text, setText] = useState('');
  const [emojiOpen, setEmojiOpen] = useState(false);
  const [recording, setRecording] = useState<MediaRecorder | undefined>();
  const input = useRef<HTMLTextAreaElement>(null);
  const file = useRef<HTMLInputElement>(null);
  const lastTyping = useRef(0);

  // Choosing "Reply" puts the cursor where the answer goes.
  useEffect(() => {
    if (replyTo) input.current?.focus();
  }, [replyTo]);

  const submit = (e?: Event) => {
    e?.preventDefault();
    const t = text.trim();
    if (!t) return;
    store.sendText(conversationId, t, replyTo?.messageId);
    setText('');
    onClearReply();
    lastTyping.current = 0;
    store.setTyping(conversationId, 'stopped');
    input.current?.focus();
  };

  const onInput = (value: string) => {
    setText(value);
    const now = Date.now();
    if (value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      store.setTyping(conversationId, 'typing');
    }
  };

  const onFiles = (files: FileList | null) => {
    for (const f of files ? [...files] : []) void store.attach(conversationId, f);
    if (file.current) file.current.value = '';
  };

  const toggleVoice = async () => {
    if (recording) {
      recording.stop();
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const rec = new MediaRecorder(stream);
      const chunks: Blob[] = [];
      rec.ondataavailable = (e) => chunks.push(e.data);
      rec.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        setRecording(undefined);
        store.setTyping(conversationId, 'stopped');
        const type = (rec.mimeType || 'audio/webm').split(';')[0]!;
        const blob = new Blob(chunks, { type });
        void store.attach(
          conversationId,
          new File([blob], `voice-note.${type.split('/')[1] ?? 'webm'}`, { type }),
          true,
        );
      };
      rec.start();
      setRecording(rec);
      store.setTyping(conversationId, 'recording');
    } catch {
      setRecording(undefined);
    }
  };

  return (
    <div class="composer-area">
      <Uploads store={store} conversationId={conversationId} />
      {replyTo && (
        <div class="replying" aria-label="Replying to">
          <blockquote class="quote">{previewOf(replyTo, store.contacts)}</blockquote>
          <button class="link" onClick={onClearReply} aria-label="Cancel reply">
            ✕
          </button>
        </div>
      )}
      {emojiOpen && (
        <div class="emoji-picker" role="group" aria-label="Emoji">
          {EMOJI.map((e) => (
            <button
              key={e}
              type="button"
              aria-label={`Insert ${e}`}
              onClick={() => {
                setText((t) => t + e);
                input.current?.focus();
              }}
            >
              {e}
            </button>
          ))}
        </div>
      )}
      <form class="composer" onSubmit={submit}>
        <button
          type="button"
          aria-label="Emoji"
          aria-expanded={emojiOpen}
          onClick={() => setEmojiOpen(!emojiOpen)}
        >
          😊
        </button>
        <label class="attach" title="Attach a file">
          📎<span class="visually-hidden">Attach a file</span>
          <input
            ref={file}
            type="file"
            class="visually-hidden"
            multiple
            onChange={(e) => onFiles(e.currentTarget.files)}
          />
        </label>
        <label for="message-input" class="visually-hidden">
          Message
        </label>
        <textarea
          id="message-input"
          ref={input}
          rows={1}
          placeholder="Type a message"
          value={text}
          onInput={(e) => onInput(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
            if (e.key === 'Escape') onClearReply();
          }}
        />
        {text.trim() ? (
          <button type="submit" aria-label="Send">
            ➤
          </button>
        ) : (
          <button
            type="button"
            aria-label={recording ? 'Stop recording and send' : 'Record a voice note'}
            aria-pressed={recording !== undefined}
            onClick={() => void toggleVoice()}
          >
            {recording ? '⏹' : '🎤'}
          </button>
        )}
      </form>
    </div>
  );
}
