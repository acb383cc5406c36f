import type { MessageSent } from '#libs/events';
import { reject, rejected, type DomainError } from '../errors.js';

export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document';

/**
 * What the command side read about a media object before deciding (the media table is the record of
 * uploads; the decider stays pure). `accessible` is true when the sender uploaded it, or is a member of a
 * conversation in which it was sent (forwarding).
 */
export interface MediaFacts {
  readonly mediaId: string;
  readonly state: 'missing' | 'pending' | 'completed' | 'deleted';
  readonly accessible: boolean;
  readonly kind: MediaKind;
  readonly size: number;
  readonly contentType: string;
  readonly sha256: string;
}

/** A media message as the client asked for it, with the facts about the media it names. */
export interface MediaContentInput {
  readonly type: 'media';
  readonly facts: MediaFacts;
  readonly caption?: string;
  readonly thumbnail?: string;
  readonly blurhash?: string;
  readonly durationSeconds?: number;
  readonly fileName?: string;
  readonly viewOnce: boolean;
  /** The longest video a message may declare, in seconds (MEDIA_TOO_LONG above it). */
  readonly maxVideoSeconds?: number;
}

type MediaContent = Extract<MessageSent['data']['content'], { type: 'media' }>;

const TIMED: readonly MediaKind[] = ['video', 'audio', 'voice'];
const VIEW_ONCE: readonly MediaKind[] = ['image', 'video', 'voice'];

/** Only a completed upload the sender may use becomes a message; kind, size and type come from the record. */
export function decideMediaContent(
  input: MediaContentInput,
  maxCaptionChars: number,
): { ok: true; content: MediaContent } | { ok: false; error: DomainError } {
  const f = input.facts;
  if (f.state === 'missing') return rejected(reject('NOT_FOUND', `no media ${f.mediaId}`));
  if (!f.accessible)
    return rejected(
      reject('MEDIA_NOT_ACCESSIBLE', 'this media was neither uploaded by you nor sent in your conversations'),
    );
  if (f.state !== 'completed')
    return rejected(
      reject('MEDIA_NOT_READY', `media ${f.mediaId} is ${f.state}: complete the upload first`, {
        state: f.state,
      }),
    );
  if (input.durationSeconds !== undefined && !TIMED.includes(f.kind))
    return rejected(reject('VALIDATION_FAILED', `a ${f.kind} has no duration`));
  if (
    f.kind === 'video' &&
    input.maxVideoSeconds !== undefined &&
    input.durationSeconds !== undefined &&
    input.durationSeconds > input.maxVideoSeconds
  )
    return rejected(
      reject(
        'MEDIA_TOO_LONG',
        `the video is ${input.durationSeconds} s; the limit is ${input.maxVideoSeconds} s`,
        {
          limit: input.maxVideoSeconds,
        },
      ),
    );
  if (input.viewOnce && !VIEW_ONCE.includes(f.kind))
    return rejected(reject('VALIDATION_FAILED', `a ${f.kind} cannot be view-once`));
  if (input.caption !== undefined) {
    const chars = [...input.caption].length;
    if (chars > maxCaptionChars)
      return rejected(
        reject('MESSAGE_TOO_LARGE', `caption is ${chars} characters; the limit is ${maxCaptionChars}`, {
          limit: maxCaptionChars,
        }),
      );
  }
  return {
    ok: true,
    content: {
      type: 'media',
      mediaId: f.mediaId,
      kind: f.kind,
      size: f.size,
      contentType: f.contentType,
      sha256: f.sha256,
      ...(input.caption !== undefined ? { caption: input.caption } : {}),
      ...(input.thumbnail !== undefined ? { thumbnail: input.thumbnail } : {}),
      ...(input.blurhash !== undefined ? { blurhash: input.blurhash } : {}),
      ...(input.durationSeconds !== undefined ? { durationSeconds: input.durationSeconds } : {}),
      ...(input.fileName !== undefined ? { fileName: input.fileName } : {}),
      viewOnce: input.viewOnce,
    },
  };
}
