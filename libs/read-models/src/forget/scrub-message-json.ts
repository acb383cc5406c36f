import { FORGOTTEN } from '#libs/events';

/** The fields of a stored message (timeline JSON, preview, inbox payload) that hold what its sender wrote. */
const MEDIA_PERSONAL = ['caption', 'fileName', 'thumbnail'] as const;

/** A media reference without its caption, file name and thumbnail; undefined when it had none. */
export function scrubMedia(media: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!MEDIA_PERSONAL.some((k) => typeof media[k] === 'string' && media[k] !== FORGOTTEN)) return undefined;
  const out = { ...media };
  for (const k of MEDIA_PERSONAL) if (typeof out[k] === 'string') out[k] = FORGOTTEN;
  return out;
}

/**
 * A message stored as JSON (a conversation preview or an inbox payload) with the forgotten sender's
 * text and media captions replaced by FORGOTTEN; undefined when it is someone else's or already clean.
 */
export function scrubMessageJson(json: string, senderUserId: string): string | undefined {
  let m: unknown;
  try {
    m = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const msg = m as Record<string, unknown>;
  // A message of the user's, or an `update` entry (issue 19) of theirs: an edit's new text or caption,
  // a live location's new point.
  const author = typeof msg.action === 'string' ? msg.userId : msg.senderUserId;
  if (author !== senderUserId) return undefined;
  let changed = false;
  if (typeof msg.action === 'string') {
    for (const field of ['text', 'caption'] as const)
      if (typeof msg[field] === 'string' && msg[field] !== FORGOTTEN) {
        msg[field] = FORGOTTEN;
        changed = true;
      }
    if (msg.location !== undefined) {
      delete msg.location;
      changed = true;
    }
    return changed ? JSON.stringify(msg) : undefined;
  }
  // A location message of a forgotten sender shows the marker as its text and no point (as a replay does).
  if (msg.location !== undefined) {
    delete msg.location;
    msg.text = FORGOTTEN;
    changed = true;
  }
  if (typeof msg.text === 'string' && msg.text !== '' && msg.text !== FORGOTTEN) {
    msg.text = FORGOTTEN;
    changed = true;
  }
  if (typeof msg.media === 'object' && msg.media !== null) {
    const media = scrubMedia(msg.media as Record<string, unknown>);
    if (media) {
      msg.media = media;
      changed = true;
    }
  }
  return changed ? JSON.stringify(msg) : undefined;
}
