import type { HistoryMessage, MessageUpdate } from '#libs/protocol';
import type { TestDevice } from '../support/chat-users.js';

/** Sends a text and waits until `to` holds it: the message the later actions name. */
export async function sent(
  from: TestDevice,
  to: TestDevice,
  conversationId: string,
  text: string,
): Promise<string> {
  const { messageId } = await from.chat.send(conversationId, text);
  await to.waitForMessage(messageId);
  return messageId;
}

/** Waits until the device got an `update` frame of this action on the message, and returns it. */
export async function updateOn(
  d: TestDevice,
  messageId: string,
  action: MessageUpdate['action'],
  timeoutMs = 20_000,
): Promise<MessageUpdate> {
  const of = (): MessageUpdate | undefined =>
    d.updates.find((u) => u.messageId === messageId && u.action === action);
  await d.until(() => of() !== undefined, timeoutMs, `${action} ${messageId} on ${d.deviceId}`);
  return of()!;
}

/** The message as the device's history shows it now (undefined when history does not). */
export async function inHistory(
  d: TestDevice,
  conversationId: string,
  messageId: string,
): Promise<HistoryMessage | undefined> {
  const { messages } = await d.chat.history(conversationId, { limit: 100 });
  return messages.find((m) => m.messageId === messageId);
}

/** The conversation's preview in the device's chat list. */
export async function preview(d: TestDevice, conversationId: string): Promise<HistoryMessage | undefined> {
  return (await d.chat.listConversations()).conversations.find((c) => c.conversationId === conversationId)
    ?.lastMessage;
}
