import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '#libs/platform';
import type { PrivacySettingsView } from '#libs/protocol';
import { UserRepository } from '../../accounts/user.repository.js';
import { ApiError } from '../../http/api-error.js';
import { PresenceAccess } from '../../presence/presence-access.js';
import { PresenceBus } from '../../presence/presence-bus.js';
import { PresenceQuery } from '../../presence/presence-query.js';
import { PresenceWatchers } from '../../presence/presence-watchers.js';
import type { DeviceConnection } from '../device-connection.js';
import { EmptyDto, PrivacyDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';

@Injectable()
export class PrivacyGetHandler implements RequestHandler<'privacy.get'> {
  readonly type = 'privacy.get' as const;
  readonly dto = EmptyDto;

  constructor(private readonly access: PresenceAccess) {}

  async handle(conn: DeviceConnection): Promise<PrivacySettingsView> {
    return this.access.privacy(conn.userId);
  }
}

/**
 * Appends PrivacySettingsChanged to the user's aggregate, then tells every gateway whose devices watch
 * the user (a live update carrying the new setting, so they judge with it at once) and re-sends this
 * gateway's watchers of others what reciprocity now lets the user see.
 */
@Injectable()
export class PrivacySetHandler implements RequestHandler<'privacy.set'> {
  readonly type = 'privacy.set' as const;
  readonly dto = PrivacyDto;

  constructor(
    private readonly users: UserRepository,
    private readonly access: PresenceAccess,
    private readonly bus: PresenceBus,
    private readonly query: PresenceQuery,
    private readonly watchers: PresenceWatchers,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(conn: DeviceConnection, data: PrivacyDto): Promise<PrivacySettingsView> {
    const { state, version } = await this.users.execute(
      conn.userId,
      {
        type: 'ChangePrivacySettings',
        ...(data.lastSeen ? { lastSeen: data.lastSeen } : {}),
        ...(data.online ? { online: data.online } : {}),
      },
      this.clock.now(),
    );
    if (state.status !== 'active') throw new ApiError('NOT_FOUND', 'no such user');
    const settings = state.privacy;
    this.access.learnPrivacy(conn.userId, settings, version);
    const facts = await this.query.facts(conn.userId);
    this.bus.publishPresence({ ...facts, privacy: { settings, version } });
    // Reciprocity: what this user's devices here may see of others may have changed too.
    for (const device of this.watchers.devicesOf(conn.userId))
      for (const target of this.watchers.watchedBy(device))
        device.send({ type: 'presence', data: await this.query.stateFor(conn.userId, target) });
    return settings;
  }
}
