import { Injectable } from '@nestjs/common';
import type { E2eContentInput } from '#libs/domain';
import { ConversationCommandHandler } from '#libs/nats';
import type { E2eSendDto } from './e2e-send.dto.js';
import { ApiError } from '../http/api-error.js';

/** The fields each kind needs (the DTO validates each field alone). */
function missingFor(dto: E2eSendDto): string[] {
  if (dto.kind === 'envelopes') return dto.envelopes ? [] : ['envelopes'];
  return [
    ...(dto.body === undefined ? ['body'] : []),
    ...(dto.distributionVersion === undefined ? ['distributionVersion'] : []),
  ];
}
import { E2eDevices } from './e2e-devices.js';
import { MediaService } from '../media/media.service.js';

/**
 * The E2E content of a send, as the decider checks it: for envelopes, the key directory's view of the
 * current members' devices (members from the conversation's cached state; a member who joined since is
 * missing from the map, which the decider refuses as a mismatch, so the client retries).
 */
@Injectable()
export class E2eContent {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly devices: E2eDevices,
    private readonly mediaFacts: MediaService,
  ) {}

  async of(userId: string, conversationId: string, dto: E2eSendDto): Promise<E2eContentInput> {
    const missing = missingFor(dto);
    if (missing.length > 0)
      throw new ApiError('VALIDATION_FAILED', `e2e of kind ${dto.kind} needs ${missing.join(' and ')}`, {
        fields: missing.map((f) => ({ field: `e2e.${f}`, problem: `required with kind ${dto.kind}` })),
      });
    const media = dto.mediaIds
      ? { media: await Promise.all(dto.mediaIds.map((id) => this.mediaFacts.factsFor(userId, id))) }
      : {};
    if (dto.kind === 'sender_key')
      return {
        type: 'e2e',
        kind: 'sender_key',
        body: dto.body!,
        distributionVersion: dto.distributionVersion!,
        ...media,
      };
    const { state } = await this.conversations.load(conversationId);
    const members = state.status === 'active' ? state.members.keys() : [];
    return {
      type: 'e2e',
      kind: 'envelopes',
      envelopes: dto.envelopes!,
      distribution: dto.distribution === true,
      devices: await this.devices.ofUsers(members),
      ...media,
    };
  }
}
