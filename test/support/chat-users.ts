import assert from 'node:assert/strict';
import { ChatClient, ChatHttpClient, type TokenPair } from '#libs/client-sdk';
import type { InboxMessage, MessageUpdate, Receipt } from '#libs/protocol';
import type { AppProcess } from './app-process.js';
import { until } from './wait.js';
import { freshPhone, type ChatStack } from './chat-stack.js';

/** Longer than any recovery a fault test waits out (a restarted NATS server, a lease hand-over). */
const CONNECT_TIMEOUT_MS = 60_000;

/** A device driven through the SDK, recording everything it receives. */
export class TestDevice {
  readonly messages: InboxMessage[] = [];
  /** Messages received per conversation, so a wait re-checked at every frame stays O(1) (a bench waits for 10,000). */
  private readonly counts = new Map<string, number>();
  readonly receipts: Receipt[] = [];
  /** Edits and deletions of messages (`update` frames). */
  readonly updates: MessageUpdate[] = [];
  client?: ChatClient;
  /** Wakes the `until` waits at every recorded frame. */
  private readonly watchers = new Set<() => void>();
  /** The number it signed up with (set by signUp). */
  phone?: string;

  constructor(
    readonly tokens: TokenPair,
    private readonly stack: ChatStack,
  ) {}

  get userId(): string {
    return this.tokens.userId;
  }

  get deviceId(): string {
    return this.tokens.deviceId;
  }

  /**
   * Connects through the SDK; `gateway` picks which gateway it tries first (the others follow on
   * reconnect), else the stack does (the first one, or each in turn on a scaled-out stack).
   */
  async connect(opts: { autoAck?: boolean; gateway?: number } = {}): Promise<ChatClient> {
    const all = this.stack.wsUrls;
    const first = (opts.gateway ?? this.stack.nextGateway()) % all.length;
    const client = new ChatClient({
      urls: [...all.slice(first), ...all.slice(0, first)],
      getAccessToken: () => this.tokens.accessToken,
      reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
      autoAck: opts.autoAck ?? true,
    });
    client.on('message', (m) => {
      this.counts.set(m.conversationId, (this.counts.get(m.conversationId) ?? 0) + 1);
      this.record(this.messages, m);
    });
    client.on('receipt', (r) => this.record(this.receipts, r));
    client.on('update', (u) => this.record(this.updates, u));
    this.stack.clients.add(client);
    // The SDK retries a failed first sync for ever (a client waits to be online); a test fails instead,
    // naming why the gateway did not sync this device.
    const problems: string[] = [];
    const onError = (err: Error): void => void problems.push(err.message);
    const onDisconnected = (d: { code: number; reason: string }): void =>
      void problems.push(`closed ${d.code} ${d.reason}`);
    client.on('error', onError);
    client.on('disconnected', onDisconnected);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `${this.deviceId} not synced within ${CONNECT_TIMEOUT_MS} ms: ${problems.slice(-5).join(' | ') || 'no error seen'}`,
                ),
              ),
            CONNECT_TIMEOUT_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      client.off('error', onError);
      client.off('disconnected', onDisconnected);
    }
    this.client = client;
    return client;
  }

  async disconnect(): Promise<void> {
    if (this.client) this.stack.clients.delete(this.client);
    await this.client?.close();
    this.client = undefined;
  }

  get chat(): ChatClient {
    assert.ok(this.client, 'device not connected');
    return this.client;
  }

  private record<T>(into: T[], item: T): void {
    into.push(item);
    for (const wake of [...this.watchers]) wake();
  }

  /**
   * Resolves as soon as `check` holds over what this device has received: re-checked at each message,
   * receipt or update frame, so a test waits for the frame itself and not a poll interval.
   */
  until(check: () => boolean, timeoutMs = 20_000, what = `a condition on ${this.deviceId}`): Promise<void> {
    return until(
      check,
      (wake) => {
        this.watchers.add(wake);
        return () => this.watchers.delete(wake);
      },
      timeoutMs,
      what,
    );
  }

  /** Waits until this device holds `count` distinct messages of a conversation. */
  async waitForMessages(conversationId: string, count: number, timeoutMs = 20_000): Promise<InboxMessage[]> {
    await this.until(
      () => (this.counts.get(conversationId) ?? 0) >= count,
      timeoutMs,
      `${count} messages on ${this.deviceId}`,
    );
    return this.of(conversationId);
  }

  /** Waits until the device holds the message (by id) in any conversation. */
  async waitForMessage(messageId: string, timeoutMs = 20_000): Promise<InboxMessage> {
    await this.until(
      () => this.messages.some((m) => m.messageId === messageId),
      timeoutMs,
      `message ${messageId} on ${this.deviceId}`,
    );
    return this.messages.find((m) => m.messageId === messageId)!;
  }

  /** Forgets the messages received so far (a test that counts what a later sync brings). */
  clearMessages(): void {
    this.messages.length = 0;
    this.counts.clear();
  }

  of(conversationId: string): InboxMessage[] {
    return this.messages.filter((m) => m.conversationId === conversationId);
  }
}

/**
 * Signs a new user in through the HTTP API (the code comes from the development sender's log), named
 * (a user sends only with a display name) unless `displayName` is null.
 */
export async function signUp(
  stack: ChatStack,
  gateway: AppProcess = stack.liveGateways[0]!,
  displayName: string | null = `user ${phone4()}`,
): Promise<TestDevice> {
  const http = new ChatHttpClient({ baseUrl: gateway.url });
  const phone = freshPhone();
  const code = await stack.newCode(phone, () => http.requestCode(phone));
  const device = new TestDevice(await http.verify(phone, code, 'phone', displayName ?? undefined), stack);
  device.phone = phone;
  return device;
}

const phone4 = (): string => Math.random().toString(36).slice(2, 8);

/** Links another device to the user of `primary`. */
export async function linkDevice(
  stack: ChatStack,
  primary: TestDevice,
  gateway: AppProcess = stack.liveGateways[0]!,
): Promise<TestDevice> {
  const http = new ChatHttpClient({ baseUrl: gateway.url });
  const { code } = await http.createLinkCode(primary.tokens.accessToken);
  return new TestDevice(await http.link(code, 'laptop'), stack);
}

/**
 * Signs up `count` users through the real HTTP flow, `concurrency` at a time: a 1024-member group is
 * registered in seconds rather than minutes, still through the API a client uses.
 */
export async function signUpMany(
  stack: ChatStack,
  count: number,
  concurrency = 32,
  onProgress?: (done: number) => void,
): Promise<TestDevice[]> {
  const out: TestDevice[] = new Array<TestDevice>(count);
  let next = 0;
  let done = 0;
  const gateways = stack.liveGateways;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async (_, worker) => {
      for (let i = next++; i < count; i = next++) {
        out[i] = await signUp(stack, gateways[worker % gateways.length]);
        onProgress?.(++done);
      }
    }),
  );
  return out;
}
