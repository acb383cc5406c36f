import type { MessageSent } from '#libs/events';
import { reject, rejected, type DomainError } from '../errors.js';
import type { ActiveConversation } from './conversation.state.js';
import type { MediaFacts } from './media-content.js';

/** A device that takes part in E2E: it published keys under this registration id. */
export interface E2eDevice {
  readonly deviceId: string;
  readonly registrationId: number;
}

export interface E2eEnvelopeInput {
  readonly deviceId: string;
  readonly registrationId: number;
  readonly type: number;
  readonly body: string;
}

/**
 * E2E content of a send. `devices` is the key directory's view of the members' current devices, read by
 * the gateway before deciding (the decider stays pure): a member missing from it is treated as unknown.
 */
export type E2eContentInput =
  | {
      readonly type: 'e2e';
      readonly kind: 'envelopes';
      readonly envelopes: readonly E2eEnvelopeInput[];
      readonly distribution: boolean;
      readonly devices: ReadonlyMap<string, readonly E2eDevice[]>;
      readonly media?: readonly MediaFacts[];
    }
  | {
      readonly type: 'e2e';
      readonly kind: 'sender_key';
      readonly body: string;
      readonly distributionVersion: number;
      readonly media?: readonly MediaFacts[];
    };

type Ref = { userId: string; deviceId: string };
type E2eContent = Extract<MessageSent['data']['content'], { type: 'e2e' }>;

/**
 * Checks an E2E message against the conversation's current devices, the way Signal's server does: every
 * device of every member (the sender's other devices included, the sending device excluded) gets exactly
 * one envelope under its current registration id. Missing, extra and stale devices are refused together,
 * listed, so the client fetches bundles and retries once; nothing is stored on a refusal. A sender-key
 * message is refused when the group's members changed since the sender last distributed its key.
 */
export function decideE2eContent(
  input: E2eContentInput,
  state: ActiveConversation,
  sender: Ref,
): { ok: true; content: E2eContent } | { ok: false; error: DomainError } {
  const media = checkMedia(input.media ?? []);
  if (!media.ok) return media;
  const mediaIds = media.ids.length > 0 ? { mediaIds: media.ids } : {};
  if (input.kind === 'sender_key') {
    if (state.kind !== 'group')
      return rejected(reject('VALIDATION_FAILED', 'sender-key messages are for groups; send envelopes'));
    if (input.distributionVersion < state.membersVersion)
      return rejected(
        reject('SENDER_KEY_STALE', 'the members changed since your sender key was distributed: rotate it', {
          membersVersion: state.membersVersion,
        }),
      );
    return {
      ok: true,
      content: {
        type: 'e2e',
        senderKey: { body: input.body, distributionVersion: input.distributionVersion },
        ...mediaIds,
      },
    };
  }
  if (input.distribution && state.kind !== 'group')
    return rejected(reject('VALIDATION_FAILED', 'sender-key distributions are for groups'));

  // deviceId -> its owner and registration id, over every member's current devices but the sender's own.
  const expected = new Map<string, { userId: string; registrationId: number }>();
  const missingUsers: Ref[] = [];
  for (const userId of state.members.keys()) {
    const devices = input.devices.get(userId);
    if (!devices) {
      missingUsers.push({ userId, deviceId: '*' });
      continue;
    }
    for (const d of devices)
      if (!(userId === sender.userId && d.deviceId === sender.deviceId))
        expected.set(d.deviceId, { userId, registrationId: d.registrationId });
  }
  const given = new Set<string>();
  const extra: Ref[] = [];
  const stale: Ref[] = [];
  const envelopes: NonNullable<E2eContent['envelopes']> = [];
  for (const e of input.envelopes) {
    const want = expected.get(e.deviceId);
    if (!want || given.has(e.deviceId)) {
      extra.push({ userId: want?.userId ?? '', deviceId: e.deviceId });
      continue;
    }
    given.add(e.deviceId);
    if (want.registrationId !== e.registrationId) stale.push({ userId: want.userId, deviceId: e.deviceId });
    else envelopes.push({ userId: want.userId, ...e });
  }
  const missing = input.distribution
    ? []
    : [
        ...missingUsers,
        ...[...expected]
          .filter(([id]) => !given.has(id))
          .map(([deviceId, d]) => ({ userId: d.userId, deviceId })),
      ];
  if (missing.length + extra.length + stale.length > 0)
    return rejected(
      reject('E2E_DEVICES_MISMATCH', "the envelopes do not match the conversation's devices", {
        missingDevices: missing,
        extraDevices: extra,
        staleDevices: stale,
      }),
    );
  if (envelopes.length === 0)
    return rejected(reject('VALIDATION_FAILED', 'an E2E message needs at least one envelope'));
  return {
    ok: true,
    content: { type: 'e2e', envelopes, ...(input.distribution ? { distribution: true } : {}), ...mediaIds },
  };
}

/**
 * Encrypted uploads an E2E message points to: completed uploads the sender may use, as for a media
 * message (their type was never checked: the bytes are ciphertext).
 */
function checkMedia(
  media: readonly MediaFacts[],
): { ok: true; ids: string[] } | { ok: false; error: DomainError } {
  for (const f of media) {
    if (f.state === 'missing') return rejected(reject('NOT_FOUND', `no media ${f.mediaId}`));
    if (!f.accessible)
      return rejected(
        reject(
          'MEDIA_NOT_ACCESSIBLE',
          'this media was neither uploaded by you nor sent in your conversations',
        ),
      );
    if (f.state !== 'completed')
      return rejected(
        reject('MEDIA_NOT_READY', `media ${f.mediaId} is ${f.state}: complete the upload first`),
      );
  }
  return { ok: true, ids: [...new Set(media.map((f) => f.mediaId))] };
}
