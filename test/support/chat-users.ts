import assert from 'node:assert/strict';
import { ChatClient, ChatHttpClient, type TokenPair } from '#libs/client-sdk';
import type { InboxMessage, Receipt } from '#libs/protocol';
import type { AppProcess } from './app-process.js';
import { eventually } from './app-process.js';
import { freshPhone, type ChatStack } from './chat-stack.js';

/** A device driven through the SDK, recording everything it receives. */
export class TestDevice {
  readonly messages: InboxMessage[] = [];
  readonly receipts: Receipt[] = [];
  client?: ChatClient;

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

  /** Connects through the SDK; `gateway` picks which gateway it tries first (the others follow on reconnect). */
  async connect(opts: { autoAck?: boolean; gateway?: number } = {}): Promise<ChatClient> {
    const all = this.stack.wsUrls;
    const first = (opts.gateway ?? 0) % all.length;
    const client = new ChatClient({
      urls: [...all.slice(first), ...all.slice(0, first)],
      getAccessToken: () => this.tokens.accessToken,
      reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
      autoAck: opts.autoAck ?? true,
    });
    client.on('message', (m) => this.messages.push(m));
    client.on('receipt', (r) => this.receipts.push(r));
    this.stack.clients.add(client);
    await client.connect();
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

  /** Waits until this device holds `count` distinct messages of a conversation. */
  async waitForMessages(conversationId: string, count: number, timeoutMs = 20_000): Promise<InboxMessage[]> {
    await eventually(
      async () => this.of(conversationId).length >= count,
      timeoutMs,
      `${count} messages on ${this.deviceId}`,
    );
    return this.of(conversationId);
  }

  of(conversationId: string): InboxMessage[] {
    return this.messages.filter((m) => m.conversationId === conversationId);
  }
}

/** Signs a new user in through the HTTP API (the code comes from the development sender's log). */
export async function signUp(
  stack: ChatStack,
  gateway: AppProcess = stack.liveGateways[0]!,
): Promise<TestDevice> {
  const http = new ChatHttpClient({ baseUrl: gateway.url });
  const phone = freshPhone();
  const code = await stack.newCode(phone, () => http.requestCode(phone));
  return new TestDevice(await http.verify(phone, code, 'phone'), stack);
}

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
