import { Inject, Injectable } from '@nestjs/common';
import { ConversationCommandHandler, UserCommandHandler } from '#libs/nats';
import { NOT_A_MEMBER_MESSAGE } from '#libs/domain';
import type { ConversationDevices, DeviceBundle, PreKeyCounts, UserBundles } from '#libs/protocol';
import { CLOCK, type Clock } from '#libs/platform';
import { E2eKeyStore, type DeviceKeysRow, type PublishedPreKey } from '#libs/read-models';
import type { DeviceIdentity } from '../auth/token.service.js';
import type { LimitsConfig } from '../gateway.config.js';
import { ApiError, accepted } from '../http/api-error.js';
import { LIMITS_CONFIG } from '../tokens.js';
import { perHour, SharedRateLimiter } from '../ws/rate-limiter.js';
import { E2eDevices } from './e2e-devices.js';
import type { OneTimeKeysDto, PublishKeysDto, ReplaceSignedPreKeyDto, SignedPreKeyDto } from './keys.dto.js';
import { PrekeyNotices } from './prekey-notices.js';
import { SecurityCodeNotices } from './security-code-notices.js';

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const str = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const signed = (k: SignedPreKeyDto): Required<PublishedPreKey> => ({
  keyId: k.keyId,
  publicKey: b64(k.publicKey),
  signature: b64(k.signature),
});

/**
 * The E2E key directory (issue 17): devices publish public keys, senders fetch bundles. The account's
 * identity key is decided by the user aggregate (an `IdentityKeyChanged` event when the primary device
 * sets a new one); everything else is the directory's own state in Cassandra (E2eKeyStore).
 */
@Injectable()
export class KeyDirectory {
  constructor(
    private readonly store: E2eKeyStore,
    private readonly users: UserCommandHandler,
    private readonly conversations: ConversationCommandHandler,
    private readonly devices: E2eDevices,
    private readonly limiter: SharedRateLimiter,
    private readonly notices: PrekeyNotices,
    private readonly securityCodes: SecurityCodeNotices,
    @Inject(LIMITS_CONFIG) private readonly limits: Readonly<LimitsConfig>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async publish(me: DeviceIdentity, dto: PublishKeysDto): Promise<PreKeyCounts> {
    const now = this.clock.now();
    const { events } = accepted(
      await this.users.handle(
        me.userId,
        { type: 'PublishIdentityKey', deviceId: me.deviceId, identityKey: dto.identityKey },
        { now },
      ),
    );
    const row: DeviceKeysRow = {
      userId: me.userId,
      deviceId: me.deviceId,
      registrationId: dto.registrationId,
      identityKey: b64(dto.identityKey),
      signedPreKey: signed(dto.signedPreKey),
      kyberLastResort: signed(dto.kyberLastResortPreKey),
      updatedAt: now,
    };
    await this.store.putDevice(row);
    if (events.some((e) => e.type === 'IdentityKeyChanged' && e.data.replaced))
      await this.securityCodes.identityChanged(me.userId);
    return this.upload(me, dto);
  }

  async replaceSigned(me: DeviceIdentity, dto: ReplaceSignedPreKeyDto): Promise<void> {
    await this.requirePublished(me);
    const now = this.clock.now();
    await this.store.rotatePreKey('signed', me.userId, me.deviceId, signed(dto.signedPreKey), now);
    if (dto.kyberLastResortPreKey)
      await this.store.rotatePreKey('kyber', me.userId, me.deviceId, signed(dto.kyberLastResortPreKey), now);
  }

  async upload(me: DeviceIdentity, dto: OneTimeKeysDto): Promise<PreKeyCounts> {
    await this.requirePublished(me);
    const ec = (dto.preKeys ?? []).map((k) => ({ keyId: k.keyId, publicKey: b64(k.publicKey) }));
    const kyber = (dto.kyberPreKeys ?? []).map(signed);
    await Promise.all([
      ec.length > 0 ? this.store.addOneTimeKeys(me.userId, me.deviceId, 'ec', ec) : undefined,
      kyber.length > 0 ? this.store.addOneTimeKeys(me.userId, me.deviceId, 'kyber', kyber) : undefined,
    ]);
    return this.counts(me.userId, me.deviceId);
  }

  async counts(userId: string, deviceId: string): Promise<PreKeyCounts> {
    const [ec, kyber] = await Promise.all([
      this.store.count(userId, deviceId, 'ec'),
      this.store.count(userId, deviceId, 'kyber'),
    ]);
    return { ec, kyber, threshold: this.limits.E2E_PREKEY_LOW_THRESHOLD };
  }

  /**
   * One bundle per current device of `userId` that published keys (or of `deviceId` alone), each with a
   * one-time EC and Kyber prekey claimed for this requester when any is left (else the last-resort Kyber
   * key). Charged to the requester per hour overall and per target: fetching bundles tells the server
   * nothing new, but it uses up the target's one-time keys and probes who exists.
   */
  async bundles(requester: DeviceIdentity, userId: string, deviceId?: string): Promise<UserBundles> {
    const refused = await this.limiter.take([
      {
        budget: perHour(
          `rl:e2e:bundles:${requester.userId}`,
          this.limits.E2E_BUNDLE_FETCHES_PER_HOUR,
          'prekey bundle fetches of this account per hour',
        ),
        cost: 1,
      },
      {
        budget: perHour(
          `rl:e2e:bundles:${requester.userId}:${userId}`,
          this.limits.E2E_BUNDLE_FETCHES_PER_TARGET_PER_HOUR,
          "this user's prekey bundle fetches by this account per hour",
        ),
        cost: 1,
      },
    ]);
    if (refused)
      throw new ApiError('RATE_LIMITED', `over the limit of ${refused.budget.what}`, {
        retryAfterSeconds: Math.max(1, Math.ceil(refused.waitMs / 1000)),
      });
    const [current, rows] = await Promise.all([this.devices.of(userId), this.store.devices(userId)]);
    const live = new Set(current.map((d) => d.deviceId));
    const wanted = rows.filter(
      (r) => live.has(r.deviceId) && (deviceId === undefined || r.deviceId === deviceId),
    );
    // Someone without keys and someone who does not exist look alike.
    if (wanted.length === 0) throw new ApiError('NOT_FOUND', 'no published keys for this user (or device)');
    const devices = await Promise.all(wanted.map((r) => this.bundleOf(r)));
    return { userId, identityKey: str(wanted[0]!.identityKey), devices };
  }

  /**
   * The E2E devices of a conversation's members, for a member: whom a sender-key distribution goes to.
   * Members only, so it reveals nothing the member does not share a conversation with.
   */
  async conversationDevices(me: DeviceIdentity, conversationId: string): Promise<ConversationDevices> {
    const { state } = await this.conversations.load(conversationId);
    if (state.status !== 'active' || !state.members.has(me.userId))
      throw new ApiError('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
    const byUser = await this.devices.ofUsers(state.members.keys());
    return {
      conversationId,
      devices: [...byUser].flatMap(([userId, ds]) => ds.map((d) => ({ userId, ...d }))),
    };
  }

  private async bundleOf(r: DeviceKeysRow): Promise<DeviceBundle> {
    const [ec, kyber] = await Promise.all([
      this.store.claim(r.userId, r.deviceId, 'ec'),
      this.store.claim(r.userId, r.deviceId, 'kyber'),
    ]);
    void this.warnIfLow(r.userId, r.deviceId);
    const lastResort = r.kyberLastResort;
    return {
      deviceId: r.deviceId,
      registrationId: r.registrationId,
      identityKey: str(r.identityKey),
      signedPreKey: {
        keyId: r.signedPreKey.keyId,
        publicKey: str(r.signedPreKey.publicKey),
        signature: str(r.signedPreKey.signature),
      },
      ...(ec ? { preKey: { keyId: ec.keyId, publicKey: str(ec.publicKey) } } : {}),
      kyberPreKey:
        kyber && kyber.signature
          ? {
              keyId: kyber.keyId,
              publicKey: str(kyber.publicKey),
              signature: str(kyber.signature),
              lastResort: false,
            }
          : {
              keyId: lastResort.keyId,
              publicKey: str(lastResort.publicKey),
              signature: str(lastResort.signature),
              lastResort: true,
            },
    };
  }

  /** After a claim: below the threshold, the device hears it on whatever gateway its socket is. */
  private async warnIfLow(userId: string, deviceId: string): Promise<void> {
    try {
      const counts = await this.counts(userId, deviceId);
      if (counts.ec < counts.threshold || counts.kyber < counts.threshold)
        this.notices.publish(userId, deviceId, counts);
    } catch {
      // A missed warning costs nothing lasting: the count endpoint and the last-resort key remain.
    }
  }

  private async requirePublished(me: DeviceIdentity): Promise<void> {
    const mine = await this.store.devices(me.userId);
    if (!mine.some((r) => r.deviceId === me.deviceId))
      throw new ApiError('NOT_FOUND', 'this device has published no keys yet: PUT /v1/keys first');
  }
}
