import { Body, Controller, HttpCode, Inject, Ip, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { ContactsChangeResult } from '#libs/protocol';
import { DecideUserCommand } from '../aggregates/decide-user.handler.js';
import { CurrentDevice, DeviceAuthGuard } from '../auth/device-auth.guard.js';
import type { DeviceIdentity } from '../auth/token.service.js';
import { PhoneAccounts } from '../auth/phone-accounts.js';
import type { LimitsConfig } from '../gateway.config.js';
import { RouteLimits } from '../http/route-limits.js';
import { validateDto } from '../http/validate-body.js';
import { ProfileViews } from '../profiles/profile-views.js';
import { LIMITS_CONFIG } from '../tokens.js';
import { ChangeContactsDto } from './contacts.dto.js';
import { toE164 } from './phone-normalizer.js';

/**
 * The user's contact set from their address book, changed incrementally, and discovery: which of the
 * added numbers have an account, with what the user may see of each profile. Every added number counts
 * against the lookup budgets (per account per hour and per day, per source address per hour), shared
 * with `POST /v1/users/lookup`: enumeration is about numbers, whatever the route.
 */
@Controller('v1/contacts')
@UseGuards(DeviceAuthGuard)
export class ContactsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly limits: RouteLimits,
    private readonly views: ProfileViews,
    private readonly accounts: PhoneAccounts,
    @Inject(LIMITS_CONFIG) private readonly config: Readonly<LimitsConfig>,
  ) {}

  @Post()
  @HttpCode(200)
  async change(
    @CurrentDevice() me: DeviceIdentity,
    @Body() body: unknown,
    @Ip() ip: string,
  ): Promise<ContactsChangeResult> {
    const dto = validateDto(ChangeContactsDto, body);
    const invalid: string[] = [];
    const normalize = (raw: readonly string[] = []): string[] => {
      const out = new Set<string>();
      for (const r of raw) {
        const phone = toE164(r, dto.defaultCountryCode);
        if (phone) out.add(phone);
        else invalid.push(r);
      }
      return [...out];
    };
    // E.164 -> the account the number names now; a removed number takes every account it had along.
    const adding = normalize(dto.add);
    const removing = normalize(dto.remove);
    // Charged before anything is read: a refused request learns nothing.
    if (adding.length > 0) await this.limits.lookup(me.userId, ip, adding.length);
    const added = await this.accounts.current(adding);
    const removed = [...(await this.accounts.all(removing)).values()].flat();
    const { state } = await this.commands.execute(
      new DecideUserCommand(me.userId, {
        type: 'ChangeContacts',
        add: [...added.values()],
        remove: removed,
        maxContacts: this.config.CONTACTS_MAX,
      }),
    );
    const registered = await Promise.all(
      [...added].map(async ([phone, userId]) => {
        if (userId === me.userId) return undefined;
        const stored = await this.views.stored(userId);
        return stored ? { phone, profile: await this.views.viewFor(me.userId, stored) } : undefined;
      }),
    );
    return {
      registered: registered.filter((r): r is NonNullable<typeof r> => r !== undefined),
      invalid,
      contacts: state.status === 'active' ? state.contacts.size : 0,
    };
  }
}
