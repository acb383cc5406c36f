import { Injectable } from '@nestjs/common';
import type { E2eDevice } from '#libs/domain';
import { UserCommandHandler } from '#libs/nats';
import { E2eKeyStore } from '#libs/read-models';

/**
 * The devices that take part in E2E, per user: the user's current devices (the USERS log, through the
 * user aggregate's cached state) that published keys. A removed device keeps its key row until it is
 * cleaned, but is no longer a device of the user, so it is never expected (and an envelope for it is
 * "extra").
 */
@Injectable()
export class E2eDevices {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly keys: E2eKeyStore,
  ) {}

  async of(userId: string): Promise<E2eDevice[]> {
    const [{ state }, rows] = await Promise.all([this.users.load(userId), this.keys.devices(userId)]);
    if (state.status !== 'active') return [];
    return rows
      .filter((r) => state.devices.has(r.deviceId))
      .map((r) => ({ deviceId: r.deviceId, registrationId: r.registrationId }));
  }

  async ofUsers(userIds: Iterable<string>): Promise<Map<string, E2eDevice[]>> {
    const ids = [...new Set(userIds)];
    return new Map(await Promise.all(ids.map(async (id) => [id, await this.of(id)] as const)));
  }
}
