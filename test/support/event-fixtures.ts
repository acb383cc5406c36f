import { randomUUID } from 'node:crypto';
import {
  chatEventCodec,
  conversationSubject,
  userSubject,
  type ChatEvent,
  type ConversationCreated,
  type DeviceAdded,
  type DeviceRemoved,
  type MessageRead,
  type MessageSent,
  type SubjectSpace,
  type UserRegistered,
} from '#libs/events';

/** Small named builders for events a test appends straight to the log (schema-valid, current version). */
let nextMessageId = 1_000_000n;

export function conversationCreated(
  conversationId: string,
  members: string[],
  at = new Date(),
): ConversationCreated {
  return {
    type: 'ConversationCreated',
    version: 1,
    id: randomUUID(),
    occurredAt: at.toISOString(),
    data: {
      conversationId,
      kind: members.length === 2 ? 'direct' : 'group',
      createdBy: members[0]!,
      members: members.map((userId) => ({ userId, role: 'member' as const })),
    },
  };
}

export function messageSent(
  conversationId: string,
  senderUserId: string,
  text: string,
  at = new Date(),
): MessageSent {
  const messageId = String(nextMessageId++);
  return {
    type: 'MessageSent',
    version: 2,
    id: randomUUID(),
    occurredAt: at.toISOString(),
    data: {
      conversationId,
      messageId,
      senderUserId,
      senderDeviceId: `${senderUserId}-phone`,
      clientMessageId: `c-${messageId}`,
      membershipVersion: 1,
      content: { type: 'text', text },
      sentAt: at.toISOString(),
    },
  };
}

export function messageRead(conversationId: string, userId: string, upToMessageId: string): MessageRead {
  const at = new Date().toISOString();
  return {
    type: 'MessageRead',
    version: 1,
    id: randomUUID(),
    occurredAt: at,
    data: { conversationId, userId, deviceId: `${userId}-phone`, upToMessageId, readAt: at },
  };
}

export function userRegistered(userId: string, phone: string): UserRegistered {
  return {
    type: 'UserRegistered',
    version: 2,
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    data: { userId, phone },
  };
}

export function deviceAdded(userId: string, deviceId: string): DeviceAdded {
  return {
    type: 'DeviceAdded',
    version: 2,
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    data: { userId, deviceId, kind: 'linked', name: `${deviceId} of ${userId}` },
  };
}

export function deviceRemoved(userId: string, deviceId: string): DeviceRemoved {
  return {
    type: 'DeviceRemoved',
    version: 1,
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    data: { userId, deviceId },
  };
}

/** The subject an event of the catalogue is appended to. */
export function subjectFor(space: SubjectSpace, event: ChatEvent): string {
  const def = chatEventCodec.definition(event.type);
  if (def.aggregate === 'user') return userSubject(space, (event.data as { userId: string }).userId);
  return conversationSubject(
    space,
    (event.data as { conversationId: string }).conversationId,
    def.subjectKind!,
  );
}
