import type { E2eDeviceRef, E2eDevicesMismatch, E2eEnvelope, InboxMessage, SendResult } from '#libs/protocol';
import type { ChatClient } from '../chat-client.js';
import { ChatError } from '../errors.js';
import type { ChatHttpClient } from '../http-client.js';
import type { E2eAddress, E2eProvider } from './e2e-provider.js';

import { fromBase64 as bytes, toBase64 as b64 } from './base64.js';
const key = (a: E2eAddress): string => `${a.userId}/${a.deviceId}`;

/** Sends refused for mismatched devices are retried this many times, learning the devices each time. */
const MISMATCH_RETRIES = 4;
/** A sender-key distribution goes out in frames of at most this much envelope text (the frame limit is 64 KiB). */
const DISTRIBUTION_CHUNK_CHARS = 40_000;

/** What `open` found in a message: the plaintext, or a control message the layer consumed (a sender key). */
export type Opened =
  { readonly kind: 'plaintext'; readonly plaintext: Uint8Array } | { readonly kind: 'control' };

/**
 * The SDK's encryption layer (docs/protocol.md "End-to-end encryption"): publishes this device's keys,
 * encrypts sends per device (learning the devices from the server's E2E_DEVICES_MISMATCH answers and the
 * key directory, as Signal clients do), distributes and rotates sender keys in groups, and opens what
 * arrives. The cryptography is the provider's (E2eProvider); this class only speaks the protocol.
 */
export class E2eSession {
  /** Devices this layer believes each conversation has (besides this one): refreshed on a mismatch. */
  private readonly devices = new Map<string, Map<string, E2eDeviceRef & { registrationId: number }>>();
  /** Per group, the members version this device's sender key was distributed at. */
  private readonly distributed = new Map<string, number>();
  /** Counters a caller (a test, a benchmark) can read. */
  readonly stats = { mismatches: 0, rotations: 0, distributions: 0, sessionsStarted: 0 };

  constructor(
    private readonly chat: ChatClient,
    private readonly http: ChatHttpClient,
    private readonly accessToken: () => string,
    private readonly provider: E2eProvider,
    readonly me: E2eAddress,
    opts: { autoReplenish?: boolean } = {},
  ) {
    // The server says when this device's one-time prekeys run low: upload more (unless the app does).
    if (opts.autoReplenish !== false)
      chat.on('prekeysLow', () => {
        this.replenish().catch((err: unknown) =>
          chat.emit('error', err instanceof Error ? err : new Error(String(err))),
        );
      });
  }

  /** Publishes this device's keys (identity, signed prekey, last-resort Kyber key, one-time keys). */
  async publish(oneTimeCount = 20): Promise<void> {
    const keys = await this.provider.keysToPublish(oneTimeCount);
    await this.http.publishKeys(this.accessToken(), keys);
  }

  /** Uploads more one-time keys (wire `chat.on('prekeysLow', ...)` to this). */
  async replenish(count = 20): Promise<void> {
    await this.http.uploadOneTimeKeys(this.accessToken(), await this.provider.moreOneTimeKeys(count));
  }

  private async ensureSession(peer: E2eAddress): Promise<void> {
    if (await this.provider.hasSession(peer)) return;
    const { devices } = await this.http.bundles(this.accessToken(), peer.userId, peer.deviceId);
    const bundle = devices.find((d) => d.deviceId === peer.deviceId);
    if (!bundle) throw new ChatError('NOT_FOUND', `no bundle for ${key(peer)}`);
    await this.provider.startSession(peer, bundle);
    this.stats.sessionsStarted++;
  }

  private async envelopesFor(
    targets: Iterable<E2eDeviceRef & { registrationId: number }>,
    plaintext: Uint8Array,
  ): Promise<E2eEnvelope[]> {
    const out: E2eEnvelope[] = [];
    for (const t of targets) {
      await this.ensureSession(t);
      const c = await this.provider.encrypt(t, plaintext);
      out.push({ deviceId: t.deviceId, registrationId: t.registrationId, type: c.type, body: b64(c.body) });
    }
    return out;
  }

  /** The conversation's E2E devices but this one, from the server. */
  private async refreshDevices(
    conversationId: string,
  ): Promise<Map<string, E2eDeviceRef & { registrationId: number }>> {
    const { devices } = await this.http.conversationDevices(this.accessToken(), conversationId);
    const known = new Map(devices.filter((d) => key(d) !== key(this.me)).map((d) => [key(d), d] as const));
    this.devices.set(conversationId, known);
    return known;
  }

  /**
   * Sends `plaintext` to every device of the conversation (the sender's other devices included), each
   * in its own pairwise envelope. A refusal listing mismatched devices updates what this layer knows
   * (new devices get sessions from their bundles, stale ones are started again) and the send is retried.
   */
  async send(
    conversationId: string,
    plaintext: Uint8Array,
    opts: { clientMessageId?: string; mediaIds?: string[] } = {},
  ): Promise<SendResult> {
    return this.sendEnvelopes(conversationId, plaintext, false, opts.clientMessageId, opts.mediaIds);
  }

  private async sendEnvelopes(
    conversationId: string,
    plaintext: Uint8Array,
    distribution: boolean,
    clientMessageId: string | undefined,
    mediaIds?: string[],
  ): Promise<SendResult> {
    let known = this.devices.get(conversationId) ?? (await this.refreshDevices(conversationId));
    for (let attempt = 0; ; attempt++) {
      try {
        const envelopes = await this.envelopesFor(known.values(), plaintext);
        if (!distribution)
          return await this.chat.sendE2e(
            conversationId,
            { kind: 'envelopes', envelopes, ...(mediaIds ? { mediaIds } : {}) },
            idOf(clientMessageId),
          );
        return await this.sendDistribution(conversationId, envelopes);
      } catch (err) {
        if (!(err instanceof ChatError) || err.code !== 'E2E_DEVICES_MISMATCH' || attempt >= MISMATCH_RETRIES)
          throw err;
        this.stats.mismatches++;
        const m = err.details as unknown as E2eDevicesMismatch;
        for (const d of m.staleDevices) await this.provider.forgetSession(d);
        for (const d of m.extraDevices) await this.provider.forgetSession(d);
        known = await this.refreshDevices(conversationId);
      }
    }
  }

  /** A distribution may span several frames; each covers part of the devices (the server allows it). */
  private async sendDistribution(conversationId: string, envelopes: E2eEnvelope[]): Promise<SendResult> {
    let result: SendResult | undefined;
    let chunk: E2eEnvelope[] = [];
    let chars = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      result = await this.chat.sendE2e(conversationId, {
        kind: 'envelopes',
        envelopes: chunk,
        distribution: true,
      });
      chunk = [];
      chars = 0;
    };
    for (const e of envelopes) {
      if (chars + e.body.length > DISTRIBUTION_CHUNK_CHARS) await flush();
      chunk.push(e);
      chars += e.body.length + 100;
    }
    await flush();
    if (!result) throw new ChatError('VALIDATION_FAILED', 'nobody to distribute a sender key to');
    return result;
  }

  /**
   * Sends to a group with this device's sender key: one ciphertext every member device receives. The key
   * is distributed first (pairwise, to every member device) and again, rotated, when the server answers
   * SENDER_KEY_STALE because the members changed since.
   */
  async sendGroup(
    conversationId: string,
    plaintext: Uint8Array,
    opts: { clientMessageId?: string; mediaIds?: string[] } = {},
  ): Promise<SendResult> {
    for (let attempt = 0; ; attempt++) {
      let version = this.distributed.get(conversationId);
      if (version === undefined) version = await this.distribute(conversationId);
      try {
        const body = b64(await this.provider.groupEncrypt(conversationId, plaintext));
        return await this.chat.sendE2e(
          conversationId,
          {
            kind: 'sender_key',
            body,
            distributionVersion: version,
            ...(opts.mediaIds ? { mediaIds: opts.mediaIds } : {}),
          },
          idOf(opts.clientMessageId),
        );
      } catch (err) {
        if (!(err instanceof ChatError) || err.code !== 'SENDER_KEY_STALE' || attempt >= 2) throw err;
        // Members changed: whoever left must not read what follows, so a new key goes to those who remain.
        await this.provider.rotateSenderKey(conversationId);
        this.stats.rotations++;
        this.distributed.delete(conversationId);
        this.devices.delete(conversationId);
      }
    }
  }

  private async distribute(conversationId: string): Promise<number> {
    const skdm = await this.provider.senderKeyDistribution(conversationId);
    const result = await this.sendEnvelopes(conversationId, skdm, true, undefined);
    const version = result.membersVersion ?? 0;
    this.distributed.set(conversationId, version);
    this.stats.distributions++;
    return version;
  }

  /** Opens a received E2E message: its plaintext, or `control` for a sender key it took in. */
  async open(message: InboxMessage): Promise<Opened> {
    const e2e = message.e2e;
    if (!e2e?.body)
      throw new ChatError('VALIDATION_FAILED', 'not an E2E message with a body for this device');
    const sender = { userId: message.senderUserId, deviceId: message.senderDeviceId };
    if (e2e.kind === 'sender_key')
      return {
        kind: 'plaintext',
        plaintext: await this.provider.groupDecrypt(sender, message.conversationId, bytes(e2e.body)),
      };
    const plaintext = await this.provider.decrypt(sender, { type: e2e.type ?? 0, body: bytes(e2e.body) });
    if (!e2e.distribution) return { kind: 'plaintext', plaintext };
    await this.provider.acceptSenderKeyDistribution(sender, message.conversationId, plaintext);
    return { kind: 'control' };
  }
}

const idOf = (clientMessageId: string | undefined): { clientMessageId?: string } =>
  clientMessageId !== undefined ? { clientMessageId } : {};
