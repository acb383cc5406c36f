import assert from 'node:assert/strict';
import { ChatHttpClient, E2eSession } from '#libs/client-sdk';
import type { InboxMessage } from '#libs/protocol';
import { LibsignalProvider } from '../../libs/client-sdk/src/e2e/libsignal-provider.js';
import { eventually } from '../support/app-process.js';
import type { ChatStack } from '../support/chat-stack.js';
import type { TestDevice } from '../support/chat-users.js';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A test device with a real Signal-protocol client: libsignal keys, sessions and sender keys. */
export class SignalDevice {
  readonly provider: LibsignalProvider;
  e2e?: E2eSession;
  /** Plaintexts opened, by conversation, in arrival order (control messages left out). */
  readonly opened = new Map<string, string[]>();
  readonly failures: string[] = [];
  private opening: Promise<void> = Promise.resolve();

  constructor(
    readonly device: TestDevice,
    private readonly stack: ChatStack,
    /** A linked device carries its primary's identity key pair (copied at linking). */
    primary?: SignalDevice,
  ) {
    this.provider = new LibsignalProvider(
      { userId: device.userId, deviceId: device.deviceId },
      primary?.provider.identity,
    );
  }

  get userId(): string {
    return this.device.userId;
  }
  get deviceId(): string {
    return this.device.deviceId;
  }

  http(): ChatHttpClient {
    return new ChatHttpClient({ baseUrl: this.stack.liveGateways[0]!.url });
  }

  /** Connects and opens every E2E message as it arrives, one at a time (ratchets are ordered). */
  async connect(): Promise<void> {
    const from = this.device.messages.length;
    const chat = await this.device.connect();
    // connect() resolves after the first sync window was emitted: open what it brought, then what follows.
    for (const m of this.device.messages.slice(from))
      if (m.e2e) this.opening = this.opening.then(() => this.open(m));
    this.e2e = new E2eSession(
      chat,
      this.http(),
      () => this.device.tokens.accessToken,
      this.provider,
      {
        userId: this.userId,
        deviceId: this.deviceId,
      },
      { autoReplenish: false },
    ); // the tests use up keys on purpose and upload more themselves
    chat.on('message', (m) => {
      if (!m.e2e) return;
      this.opening = this.opening.then(() => this.open(m));
    });
  }

  private async open(m: InboxMessage): Promise<void> {
    try {
      const r = await this.e2e!.open(m);
      if (r.kind === 'plaintext')
        this.opened.set(m.conversationId, [...(this.opened.get(m.conversationId) ?? []), text(r.plaintext)]);
    } catch (err) {
      this.failures.push(`${m.messageId}: ${(err as Error).message}`);
    }
  }

  async publish(oneTime = 5): Promise<void> {
    const keys = await this.provider.keysToPublish(oneTime);
    await this.http().publishKeys(this.device.tokens.accessToken, keys);
  }

  async waitOpened(conversationId: string, count: number, timeoutMs = 20_000): Promise<string[]> {
    await eventually(
      async () => (this.opened.get(conversationId)?.length ?? 0) >= count || this.failures.length > 0,
      timeoutMs,
      `${count} plaintexts on ${this.deviceId} (received ${this.device.of(conversationId).length}, opened ${this.opened.get(conversationId)?.length ?? 0})`,
    );
    assert.deepEqual(this.failures, [], `decryption failures on ${this.deviceId}`);
    return this.opened.get(conversationId)!;
  }
}
