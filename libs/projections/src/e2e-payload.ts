import type { MessageSent } from '#libs/events';
import { deviceKey, type DeviceBody } from '#libs/nats';
import type { HistoryMessage, MessageE2e } from '#libs/protocol';
import type { FanOutPayload } from './conversation-fan-out.js';

type Content = MessageSent['data']['content'];

/**
 * What the timeline and the conversation lists keep of an E2E message: that it is one, never a body.
 * Ciphertexts live only in the inbox rows of the devices they are for, until each device acknowledges.
 */
export function e2eMarkerOf(content: Content): MessageE2e | undefined {
  if (content.type !== 'e2e') return undefined;
  const media = content.mediaIds ? { mediaIds: content.mediaIds } : {};
  if (content.senderKey)
    return { kind: 'sender_key', distributionVersion: content.senderKey.distributionVersion, ...media };
  return { kind: 'envelope', ...(content.distribution ? { distribution: true as const } : {}), ...media };
}

/**
 * What the fan-out delivers for a message: the timeline's message, plus for E2E the ciphertexts: the
 * group ciphertext for every member device, or each device's own envelope (`bodies`: only those
 * devices get the message).
 */
export function messagePayload(message: HistoryMessage, content: Content): FanOutPayload {
  if (content.type !== 'e2e') return { kind: 'message', data: message };
  if (content.senderKey)
    return {
      kind: 'message',
      data: {
        ...message,
        e2e: {
          ...message.e2e,
          kind: 'sender_key',
          body: content.senderKey.body,
          distributionVersion: content.senderKey.distributionVersion,
        },
      },
    };
  const bodies: Record<string, DeviceBody> = {};
  for (const e of content.envelopes ?? [])
    bodies[deviceKey(e.userId, e.deviceId)] = { type: e.type, body: e.body };
  return { kind: 'message', data: message, bodies };
}
