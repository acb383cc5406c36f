import { Inject, Injectable } from '@nestjs/common';
import { UserCommandHandler } from '#libs/nats';
import { AccountGenerationStore } from '#libs/read-models';
import type { AuthConfig } from '../gateway.config.js';
import { AUTH_CONFIG } from '../tokens.js';
import { userIdForPhone } from './user-identity.js';

/** Deletions of one number a sign-in walks past at most (each costs one aggregate load). */
const MAX_GENERATIONS = 1000;

/**
 * Which account a phone number names. Until an account of it is deleted that is generation 0 (the id
 * every account had before deletions existed); after a deletion the number signs up as the next
 * generation, a new account. `account_generations` (from AccountDeleted) is the hint; sign-in confirms it
 * against the user aggregates, so a deletion the projector has not applied yet is walked past too.
 */
@Injectable()
export class PhoneAccounts {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly generations: AccountGenerationStore,
    @Inject(AUTH_CONFIG) private readonly config: Readonly<AuthConfig>,
  ) {}

  private idOf(phone: string, generation: number): string {
    return userIdForPhone(phone, this.config.PHONE_HASH_SECRET, generation);
  }

  /** The account a verified number signs in to (registered by the sign-in when new). */
  async forSignIn(phone: string): Promise<string> {
    const base = this.idOf(phone, 0);
    let generation = (await this.generations.current([base])).get(base) ?? 0;
    for (let walked = 0; walked < MAX_GENERATIONS; walked++, generation++) {
      const userId = this.idOf(phone, generation);
      const { state } = await this.users.load(userId);
      if (!(state.status === 'forgotten' && state.deleted === true)) return userId;
    }
    throw new Error(`more than ${MAX_GENERATIONS} deleted accounts for one number`);
  }

  /** The accounts numbers name now (discovery, contact sets), from the hint alone: one read per 100 numbers. */
  async current(phones: readonly string[]): Promise<Map<string, string>> {
    const bases = new Map(phones.map((p) => [p, this.idOf(p, 0)]));
    const generations = await this.generations.current([...bases.values()]);
    return new Map(phones.map((p) => [p, this.idOf(p, generations.get(bases.get(p)!) ?? 0)]));
  }

  /** Every account id a number had up to now (removing a number from a contact set removes them all). */
  async all(phones: readonly string[]): Promise<Map<string, string[]>> {
    const bases = new Map(phones.map((p) => [p, this.idOf(p, 0)]));
    const generations = await this.generations.current([...bases.values()]);
    return new Map(
      phones.map((p) => {
        const last = generations.get(bases.get(p)!) ?? 0;
        return [p, Array.from({ length: last + 1 }, (_, g) => this.idOf(p, g))];
      }),
    );
  }

  /** Where `userId` sits among the accounts of `phone` (for AccountDeleted). */
  generationOf(phone: string, userId: string): { baseUserId: string; generation: number } {
    for (let g = 0; g <= MAX_GENERATIONS; g++)
      if (this.idOf(phone, g) === userId) return { baseUserId: this.idOf(phone, 0), generation: g };
    throw new Error(`account ${userId} is not one of its phone number's`);
  }
}
