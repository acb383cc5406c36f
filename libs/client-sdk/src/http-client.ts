import type {
  ContactsChangeResult,
  ConversationDevices,
  ErrorBody,
  MediaKind,
  PreKeyCounts,
  PublicPreKey,
  SignedPublicPreKey,
  UploadSlot,
  UserBundles,
} from '#libs/protocol';
import { ChatError } from './errors.js';

export interface TokenPair {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly accessExpiresIn: number;
}

export interface DeviceInfo {
  readonly deviceId: string;
  readonly kind: 'primary' | 'linked';
  readonly name: string;
  readonly addedAt: string;
}

/** The HTTP API: sign-in, tokens, devices and contact lookup (docs/protocol.md). */
export class ChatHttpClient {
  /** `timeoutMs` (default 30 s) bounds each call, answer body included: fetch alone waits minutes. */
  constructor(private readonly options: { baseUrl: string; fetch?: typeof fetch; timeoutMs?: number }) {}

  private async call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    let res: Response;
    let text: string;
    try {
      res = await (this.options.fetch ?? fetch)(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError')
        throw new ChatError('TIMEOUT', `${method} ${path} got no answer within ${timeoutMs} ms`);
      throw err;
    }
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const error = (parsed as { error?: ErrorBody } | undefined)?.error;
      throw new ChatError(
        error?.code ?? 'INTERNAL',
        error?.message ?? `HTTP ${res.status}`,
        error?.details,
        res.status,
      );
    }
    return parsed as T;
  }

  /** Publishes this device's E2E keys (identity, registration id, signed and last-resort Kyber prekeys, one-time keys). */
  publishKeys(
    accessToken: string,
    keys: {
      identityKey: string;
      registrationId: number;
      signedPreKey: SignedPublicPreKey;
      kyberLastResortPreKey: SignedPublicPreKey;
      preKeys?: PublicPreKey[];
      kyberPreKeys?: SignedPublicPreKey[];
    },
  ): Promise<PreKeyCounts> {
    return this.call('PUT', '/v1/keys', keys, accessToken);
  }

  replaceSignedPreKey(
    accessToken: string,
    keys: { signedPreKey: SignedPublicPreKey; kyberLastResortPreKey?: SignedPublicPreKey },
  ): Promise<void> {
    return this.call('PUT', '/v1/keys/signed', keys, accessToken);
  }

  uploadOneTimeKeys(
    accessToken: string,
    keys: { preKeys?: PublicPreKey[]; kyberPreKeys?: SignedPublicPreKey[] },
  ): Promise<PreKeyCounts> {
    return this.call('POST', '/v1/keys/one-time', keys, accessToken);
  }

  preKeyCounts(accessToken: string): Promise<PreKeyCounts> {
    return this.call('GET', '/v1/keys/count', undefined, accessToken);
  }

  /** One bundle per device of the user (or of one device), each with one-time prekeys claimed for the caller. */
  bundles(accessToken: string, userId: string, deviceId?: string): Promise<UserBundles> {
    const q = deviceId !== undefined ? `?deviceId=${encodeURIComponent(deviceId)}` : '';
    return this.call('GET', `/v1/keys/${encodeURIComponent(userId)}${q}`, undefined, accessToken);
  }

  /** Every E2E device of a conversation's members (for a member). */
  conversationDevices(accessToken: string, conversationId: string): Promise<ConversationDevices> {
    return this.call(
      'GET',
      `/v1/keys/conversation/${encodeURIComponent(conversationId)}/devices`,
      undefined,
      accessToken,
    );
  }

  /** Asks for an upload slot; `sha256` is 64 lowercase hex digits of the bytes as uploaded. */
  createUpload(
    accessToken: string,
    req: { kind: MediaKind; contentType: string; size: number; sha256: string; encrypted?: boolean },
  ): Promise<UploadSlot> {
    return this.call('POST', '/v1/media', req, accessToken);
  }

  completeUpload(
    accessToken: string,
    mediaId: string,
    parts?: Array<{ partNumber: number; etag: string }>,
  ): Promise<{ mediaId: string; kind: MediaKind; size: number; contentType: string; sha256: string }> {
    return this.call(
      'POST',
      `/v1/media/${encodeURIComponent(mediaId)}/complete`,
      parts ? { parts } : {},
      accessToken,
    );
  }

  mediaDownloadUrl(
    accessToken: string,
    mediaId: string,
    conversationId: string,
    messageId: string,
  ): Promise<{ url: string; expiresInSeconds: number; viewOnce: boolean }> {
    return this.call(
      'POST',
      `/v1/media/${encodeURIComponent(mediaId)}/download`,
      { conversationId, messageId },
      accessToken,
    );
  }

  requestCode(phone: string): Promise<{ expiresInSeconds: number }> {
    return this.call('POST', '/v1/auth/code', { phone });
  }

  /** `displayName` names a new account (an existing one keeps its own). */
  verify(phone: string, code: string, deviceName: string, displayName?: string): Promise<TokenPair> {
    return this.call('POST', '/v1/auth/verify', {
      phone,
      code,
      deviceName,
      ...(displayName !== undefined ? { displayName } : {}),
    });
  }

  refresh(refreshToken: string): Promise<TokenPair> {
    return this.call('POST', '/v1/auth/refresh', { refreshToken });
  }

  createLinkCode(accessToken: string): Promise<{ code: string; expiresInSeconds: number }> {
    return this.call('POST', '/v1/devices/link-code', {}, accessToken);
  }

  link(code: string, deviceName: string): Promise<TokenPair> {
    return this.call('POST', '/v1/auth/link', { code, deviceName });
  }

  async listDevices(accessToken: string): Promise<DeviceInfo[]> {
    return (await this.call<{ devices: DeviceInfo[] }>('GET', '/v1/devices', undefined, accessToken)).devices;
  }

  /**
   * Deletes the account for good, confirmed with a fresh code (requestCode with the account's number):
   * the number can then sign up again, as a new account.
   */
  async deleteAccount(accessToken: string, code: string): Promise<void> {
    await this.call('DELETE', '/v1/me', { code }, accessToken);
  }

  async removeDevice(accessToken: string, deviceId: string): Promise<void> {
    await this.call('DELETE', `/v1/devices/${encodeURIComponent(deviceId)}`, undefined, accessToken);
  }

  /** Registers (or replaces) this device's push token for one provider. */
  async registerPushToken(
    accessToken: string,
    token:
      | { provider: 'fcm'; token: string }
      | { provider: 'apns'; token: string; environment: 'sandbox' | 'production' }
      | { provider: 'webpush'; endpoint: string; keys: { p256dh: string; auth: string } },
  ): Promise<void> {
    const { provider, ...body } = token;
    await this.call('PUT', `/v1/push-tokens/${provider}`, body, accessToken);
  }

  async removePushToken(accessToken: string, provider: 'fcm' | 'apns' | 'webpush'): Promise<void> {
    await this.call('DELETE', `/v1/push-tokens/${provider}`, undefined, accessToken);
  }

  async setNotificationPreview(accessToken: string, preview: 'show' | 'hide'): Promise<void> {
    await this.call('PUT', '/v1/notification-settings/preview', { preview }, accessToken);
  }

  async muteConversation(accessToken: string, conversationId: string, until?: Date): Promise<void> {
    await this.call(
      'PUT',
      `/v1/notification-settings/mutes/${encodeURIComponent(conversationId)}`,
      until ? { until: until.toISOString() } : {},
      accessToken,
    );
  }

  async unmuteConversation(accessToken: string, conversationId: string): Promise<void> {
    await this.call(
      'DELETE',
      `/v1/notification-settings/mutes/${encodeURIComponent(conversationId)}`,
      undefined,
      accessToken,
    );
  }

  /** Adds numbers of the address book to the contact set (each counts against the lookup budgets) and removes others. */
  changeContacts(
    accessToken: string,
    change: { add?: string[]; remove?: string[]; defaultCountryCode?: string },
  ): Promise<ContactsChangeResult> {
    return this.call('POST', '/v1/contacts', change, accessToken);
  }

  async lookup(accessToken: string, phones: string[]): Promise<Array<{ phone: string; userId: string }>> {
    return (
      await this.call<{ users: Array<{ phone: string; userId: string }> }>(
        'POST',
        '/v1/users/lookup',
        { phones },
        accessToken,
      )
    ).users;
  }
}
