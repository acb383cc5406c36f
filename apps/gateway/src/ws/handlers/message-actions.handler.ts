import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConversationEvent } from '#libs/events';
import { ConversationCommandHandler } from '#libs/nats';
import { snowflakeTime, type MessageActionCommand, type MessageFacts } from '#libs/domain';
import { CLOCK, type Clock } from '#libs/platform';
import { MessageActionStore, storedMessageKind, type ActionTarget } from '#libs/read-models';
import type { MessageAction, MessageActionResult, Requests } from '#libs/protocol';
import type { MessagingConfig } from '../../gateway.config.js';
import { accepted } from '../../http/api-error.js';
import { MESSAGING_CONFIG } from '../../tokens.js';
import type { DeviceConnection } from '../device-connection.js';
import { DeleteMessageDto, EditMessageDto, ReactToMessageDto } from '../message-action-frames.dto.js';
import { FrameCommand, FrameHandler } from '../frame-handler.js';
import { LiveSessions } from '../live-sessions.js';
import { sendDedupId } from './send-message.handler.js';
import { requireMember } from '../../conversations/member-access.js';

/** A message this young may be out live and not written yet: its row is waited for this long at most. */
const FRESH_MS = 30_000;
const FRESH_WAIT_MS = 3000;
const FRESH_POLL_MS = 50;

/** The Nats-Msg-Id of an action: a send's id shape plus the action, so it never equals a send's or another action's. */
export function actionDedupId(conn: DeviceConnection, clientActionId: string, action: MessageAction): string {
  return `${sendDedupId(conn.userId, conn.deviceId, clientActionId)}.${action}`;
}

export class EditMessageCommand extends FrameCommand<EditMessageDto, Requests['message.edit']['result']> {}
export class ReactToMessageCommand extends FrameCommand<
  ReactToMessageDto,
  Requests['message.react']['result']
> {}
export class DeleteMessageCommand extends FrameCommand<
  DeleteMessageDto,
  Requests['message.delete']['result']
> {}

/**
 * Edits and deletions of sent messages (issue 19). The decider judges them against the membership
 * (the aggregate's state) and the facts of the message read from the timeline; the append's
 * Nats-Msg-Id comes from the device's clientActionId, so a resend stores nothing twice.
 */
export abstract class MessageActionBase {
  constructor(
    protected readonly conversations: ConversationCommandHandler,
    protected readonly store: MessageActionStore,
    protected readonly live: LiveSessions,
    @Inject(MESSAGING_CONFIG) protected readonly config: Readonly<MessagingConfig>,
    @Inject(CLOCK) protected readonly clock: Clock,
  ) {}

  /**
   * The message's row. Messages go out live before their rows are written, so a device may act on one
   * just received: first wait until what this gateway heard live is persisted, then, for a message
   * sent moments ago (its id holds the time), look again for a short while.
   */
  protected async target(
    conn: DeviceConnection,
    conversationId: string,
    messageId: string,
  ): Promise<ActionTarget | undefined> {
    // A stranger is refused before anything is read (the decider would refuse them too).
    requireMember((await this.conversations.load(conversationId)).state, conn.userId);
    const found = await this.store.target(conversationId, messageId);
    if (found) return found;
    await this.live.persisted(conversationId);
    const deadline = Date.now() + FRESH_WAIT_MS;
    for (;;) {
      const again = await this.store.target(conversationId, messageId);
      if (again || Date.now() - snowflakeTime(messageId) > FRESH_MS || Date.now() > deadline) return again;
      await sleep(FRESH_POLL_MS);
    }
  }

  protected async run(
    conn: DeviceConnection,
    conversationId: string,
    clientActionId: string,
    action: MessageAction,
    command: MessageActionCommand,
  ): Promise<MessageActionResult> {
    const { events, acks } = accepted(
      await this.conversations.handle(conversationId, command, {
        now: this.clock.now(),
        msgId: actionDedupId(conn, clientActionId, action),
      }),
    );
    const ack = acks[0]!;
    const event = ack.duplicate ? await this.conversations.storedEvent(ack.stream, ack.seq) : events[0];
    return {
      conversationId,
      messageId: command.messageId,
      action,
      at: actionTime(event),
      duplicate: ack.duplicate,
    };
  }
}

function actionTime(event: ConversationEvent | undefined): string {
  switch (event?.type) {
    case 'MessageEdited':
      return event.data.editedAt;
    case 'MessageDeleted':
      return event.data.deletedAt;
    case 'MessageHidden':
      return event.data.hiddenAt;
    case 'MessageReacted':
      return event.data.reactedAt;
    default:
      throw new Error(`expected a message action, got ${event?.type ?? 'nothing'}`);
  }
}

/** What the decider needs of the message (undefined: no such message in the conversation). */
export function factsOf(target: ActionTarget | undefined): MessageFacts | undefined {
  if (!target) return undefined;
  const m = target.message;
  return {
    senderUserId: m.senderUserId,
    sentAt: m.sentAt,
    kind: storedMessageKind(m),
    deleted: m.deleted !== undefined,
    ...(m.location?.liveUntil !== undefined ? { liveUntil: m.location.liveUntil } : {}),
    ...(m.location?.liveStopped ? { liveStopped: true } : {}),
    ...(m.expiresAt !== undefined ? { expiresAt: m.expiresAt } : {}),
  };
}

@FrameHandler(EditMessageCommand, { 'message.edit': EditMessageDto })
export class EditMessageHandler extends MessageActionBase implements ICommandHandler<EditMessageCommand> {
  async execute({ conn, data }: EditMessageCommand): Promise<MessageActionResult> {
    return this.run(conn, data.conversationId, data.clientActionId, 'edited', {
      type: 'EditMessage',
      messageId: data.messageId,
      userId: conn.userId,
      deviceId: conn.deviceId,
      clientActionId: data.clientActionId,
      ...(data.text !== undefined ? { text: data.text } : {}),
      ...(data.caption !== undefined ? { caption: data.caption } : {}),
      ...(data.location !== undefined
        ? { location: { latitude: data.location.latitude, longitude: data.location.longitude } }
        : {}),
      ...(data.stopLive !== undefined ? { stopLive: true as const } : {}),
      target: factsOf(await this.target(conn, data.conversationId, data.messageId)),
      editWindowSeconds: this.config.EDIT_WINDOW_SECONDS,
      maxTextChars: this.config.MAX_MESSAGE_CHARS,
    });
  }
}

@FrameHandler(DeleteMessageCommand, { 'message.delete': DeleteMessageDto })
export class DeleteMessageHandler extends MessageActionBase implements ICommandHandler<DeleteMessageCommand> {
  async execute({ conn, data }: DeleteMessageCommand): Promise<MessageActionResult> {
    const common = {
      messageId: data.messageId,
      userId: conn.userId,
      deviceId: conn.deviceId,
      clientActionId: data.clientActionId,
      target: factsOf(await this.target(conn, data.conversationId, data.messageId)),
    };
    return data.forEveryone
      ? this.run(conn, data.conversationId, data.clientActionId, 'deleted', {
          type: 'DeleteMessage',
          ...common,
          deleteWindowSeconds: this.config.DELETE_WINDOW_SECONDS,
        })
      : this.run(conn, data.conversationId, data.clientActionId, 'hidden', {
          type: 'HideMessage',
          ...common,
        });
  }
}

@FrameHandler(ReactToMessageCommand, { 'message.react': ReactToMessageDto })
export class ReactToMessageHandler
  extends MessageActionBase
  implements ICommandHandler<ReactToMessageCommand>
{
  async execute({ conn, data }: ReactToMessageCommand): Promise<MessageActionResult> {
    return this.run(conn, data.conversationId, data.clientActionId, 'reacted', {
      type: 'ReactToMessage',
      messageId: data.messageId,
      userId: conn.userId,
      deviceId: conn.deviceId,
      clientActionId: data.clientActionId,
      ...(data.emoji !== undefined ? { emoji: data.emoji } : {}),
      target: factsOf(await this.target(conn, data.conversationId, data.messageId)),
    });
  }
}
