import type {
  ConversationEvent,
  MessageDeleted,
  MessageEdited,
  MessageHidden,
  MessageReacted,
} from '#libs/events';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import { envelope } from '../envelope.js';
import { isAdmin, isMember, NOT_A_MEMBER_MESSAGE, type ConversationState } from './conversation.state.js';
import { isSingleEmoji } from './emoji.js';
import { contentKeyFor, coordinatesOf, validPoint } from '#libs/events';

/**
 * What the command side knows of the message an action names, read from the timeline before deciding
 * (messages are not folded into the aggregate's state, which holds membership only). Undefined when no
 * such message is in the conversation.
 */
export interface MessageFacts {
  readonly senderUserId: string;
  readonly sentAt: string;
  readonly kind: 'text' | 'media' | 'e2e' | 'system' | 'location';
  readonly deleted: boolean;
  /** Live location: shared until then, unless stopped. */
  readonly liveUntil?: string;
  readonly liveStopped?: boolean;
  /** Disappearing messages: when it expires (its content key follows from this and sentAt). */
  readonly expiresAt?: string;
}

interface ActionCommon {
  readonly messageId: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly clientActionId: string;
  readonly target: MessageFacts | undefined;
}

export interface EditMessage extends ActionCommon {
  readonly type: 'EditMessage';
  /**
   * Exactly one: the new text (text message), caption (media message), point (live location, while it
   * is shared) or the end of a live location.
   */
  readonly text?: string;
  readonly caption?: string;
  readonly location?: { readonly latitude: number; readonly longitude: number };
  readonly stopLive?: true;
  readonly editWindowSeconds: number;
  readonly maxTextChars: number;
}

export interface DeleteMessage extends ActionCommon {
  readonly type: 'DeleteMessage';
  readonly deleteWindowSeconds: number;
}

export interface HideMessage extends ActionCommon {
  readonly type: 'HideMessage';
}

/** Sets the member's one reaction to the message (replacing theirs), or removes it (no emoji). */
export interface ReactToMessage extends ActionCommon {
  readonly type: 'ReactToMessage';
  readonly emoji?: string;
}

export type MessageActionCommand = EditMessage | DeleteMessage | HideMessage | ReactToMessage;

const CAPTION_MAX = 4096;

function common(c: ActionCommon, conversationId: string) {
  return {
    conversationId,
    messageId: c.messageId,
    userId: c.userId,
    deviceId: c.deviceId,
    clientActionId: c.clientActionId,
  };
}

/**
 * An edit of a disappearing message is sealed in the log with the message's own content key, so its
 * words go when the message's do (the timer it was sent under is expiresAt - sentAt).
 */
function sealedLike(target: MessageFacts): { contentKey?: string } {
  if (target.expiresAt === undefined) return {};
  const expiresAt = new Date(target.expiresAt);
  const seconds = Math.round((expiresAt.getTime() - new Date(target.sentAt).getTime()) / 1000);
  return { contentKey: contentKeyFor(expiresAt, seconds) };
}

/** Seconds since the message was sent, when that is more than the window; else undefined. */
function pastWindow(target: MessageFacts, now: Date, windowSeconds: number): boolean {
  return now.getTime() - new Date(target.sentAt).getTime() > windowSeconds * 1000;
}

export function decideMessageAction(
  command: MessageActionCommand,
  state: ConversationState,
  ctx: CommandContext,
): Decision<ConversationEvent> {
  if (state.status !== 'active' || !isMember(state, command.userId))
    return reject('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
  const target = command.target;
  if (!target) return reject('NOT_FOUND', 'no such message in this conversation');
  const base = common(command, state.conversationId);
  switch (command.type) {
    case 'EditMessage': {
      if (target.deleted) return reject('NOT_FOUND', 'the message was deleted');
      if (target.senderUserId !== command.userId)
        return reject('NOT_THE_SENDER', 'only its sender may edit a message');
      const changes = [command.text, command.caption, command.location, command.stopLive];
      if (changes.filter((c) => c !== undefined).length !== 1)
        return reject('VALIDATION_FAILED', 'an edit has exactly one of text, caption, location and stopLive');
      if (command.location !== undefined || command.stopLive !== undefined)
        return decideLiveLocation(command, target, base, ctx);
      if (pastWindow(target, ctx.now, command.editWindowSeconds))
        return reject('ACTION_WINDOW_OVER', `a message may be edited for ${command.editWindowSeconds} s`, {
          windowSeconds: command.editWindowSeconds,
        });
      if (target.kind === 'text' && command.text !== undefined) {
        const chars = [...command.text].length;
        if (chars > command.maxTextChars)
          return reject(
            'MESSAGE_TOO_LARGE',
            `text is ${chars} characters; the limit is ${command.maxTextChars}`,
            {
              limit: command.maxTextChars,
            },
          );
        if (command.text.trim().length === 0) return reject('VALIDATION_FAILED', 'text must not be blank');
        return accept(
          envelope<MessageEdited>(ctx, 'MessageEdited', {
            ...base,
            ...sealedLike(target),
            text: command.text,
            editedAt: ctx.now.toISOString(),
          }),
        );
      }
      if (target.kind === 'media' && command.caption !== undefined) {
        if ([...command.caption].length > CAPTION_MAX)
          return reject('MESSAGE_TOO_LARGE', `a caption is at most ${CAPTION_MAX} characters`, {
            limit: CAPTION_MAX,
          });
        if (command.caption.trim().length === 0)
          return reject('VALIDATION_FAILED', 'caption must not be blank');
        return accept(
          envelope<MessageEdited>(ctx, 'MessageEdited', {
            ...base,
            ...sealedLike(target),
            caption: command.caption,
            editedAt: ctx.now.toISOString(),
          }),
        );
      }
      return reject(
        'VALIDATION_FAILED',
        "only a text message's text or a media message's caption can be edited",
      );
    }
    case 'DeleteMessage': {
      if (target.kind === 'system') return reject('VALIDATION_FAILED', 'a system message cannot be deleted');
      const own = target.senderUserId === command.userId;
      const asAdmin = !own && state.kind === 'group' && isAdmin(state, command.userId);
      if (!own && !asAdmin)
        return state.kind === 'group'
          ? reject('NOT_AN_ADMIN', "only its sender or a group admin may delete another member's message")
          : reject('NOT_THE_SENDER', 'only its sender may delete a message for everyone');
      // Deleting what is deleted already changes nothing; accepted so a resend gets its stored answer.
      if (!target.deleted && pastWindow(target, ctx.now, command.deleteWindowSeconds))
        return reject(
          'ACTION_WINDOW_OVER',
          `a message may be deleted for everyone for ${command.deleteWindowSeconds} s`,
          { windowSeconds: command.deleteWindowSeconds },
        );
      return accept(
        envelope<MessageDeleted>(ctx, 'MessageDeleted', {
          ...base,
          byAdmin: asAdmin,
          deletedAt: ctx.now.toISOString(),
        }),
      );
    }
    case 'ReactToMessage': {
      if (target.deleted) return reject('NOT_FOUND', 'the message was deleted');
      if (target.kind === 'system') return reject('VALIDATION_FAILED', 'a system message takes no reactions');
      if (command.emoji !== undefined && !isSingleEmoji(command.emoji))
        return reject('VALIDATION_FAILED', 'a reaction is exactly one emoji');
      return accept(
        envelope<MessageReacted>(ctx, 'MessageReacted', {
          ...base,
          ...(command.emoji !== undefined ? { emoji: command.emoji } : {}),
          reactedAt: ctx.now.toISOString(),
        }),
      );
    }
    case 'HideMessage':
      return accept(
        envelope<MessageHidden>(ctx, 'MessageHidden', { ...base, hiddenAt: ctx.now.toISOString() }),
      );
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

/** A live location moves (a new point) or stops, by its sender, while it is shared: edits of one message. */
function decideLiveLocation(
  command: EditMessage,
  target: MessageFacts,
  base: ReturnType<typeof common>,
  ctx: CommandContext,
): Decision<ConversationEvent> {
  if (target.kind !== 'location' || target.liveUntil === undefined)
    return reject('VALIDATION_FAILED', 'only a live location is updated or stopped');
  if (target.liveStopped === true || ctx.now.getTime() > new Date(target.liveUntil).getTime())
    return reject('ACTION_WINDOW_OVER', 'the live location is no longer shared', { until: target.liveUntil });
  if (command.stopLive)
    return accept(
      envelope<MessageEdited>(ctx, 'MessageEdited', {
        ...base,
        liveStopped: true,
        editedAt: ctx.now.toISOString(),
      }),
    );
  const { latitude, longitude } = command.location!;
  if (!validPoint(latitude, longitude))
    return reject('VALIDATION_FAILED', 'latitude must be within -90..90 and longitude within -180..180');
  return accept(
    envelope<MessageEdited>(ctx, 'MessageEdited', {
      ...base,
      ...sealedLike(target),
      coordinates: coordinatesOf(latitude, longitude),
      editedAt: ctx.now.toISOString(),
    }),
  );
}
