import { Inject, Injectable } from '@nestjs/common';
import { UserCommandHandler } from '#libs/nats';
import type { ProfileConfig } from '../gateway.config.js';
import { ApiError } from '../http/api-error.js';
import { PROFILE_CONFIG } from '../tokens.js';

const NAMED_LIMIT = 100_000;

/**
 * A user sends only once they have a display name (pushes and system messages show it, never the phone
 * number). A name cannot be removed, only changed, so a user once seen named is remembered and the send
 * path pays the aggregate load once per user and process.
 */
@Injectable()
export class ProfileGate {
  private readonly named = new Set<string>();

  constructor(
    private readonly users: UserCommandHandler,
    @Inject(PROFILE_CONFIG) private readonly config: Readonly<ProfileConfig>,
  ) {}

  async requireDisplayName(userId: string): Promise<void> {
    if (!this.config.PROFILE_NAME_REQUIRED_TO_SEND || this.named.has(userId)) return;
    const { state } = await this.users.load(userId);
    if (state.status === 'active' && state.profile.displayName === undefined)
      throw new ApiError('PROFILE_NAME_REQUIRED', 'set a display name (profile.set) before sending');
    if (this.named.size >= NAMED_LIMIT) this.named.clear();
    this.named.add(userId);
  }
}
