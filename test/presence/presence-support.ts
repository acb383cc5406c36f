import { ChatClient } from '#libs/client-sdk';
import type { PresenceState } from '#libs/protocol';
import { until } from '../support/wait.js';
import type { TestDevice } from '../support/chat-users.js';

/** Short presence timings for the test stacks: offline is decided within about two seconds. */
export const PRESENCE_TEST_ENV = {
  PRESENCE_HEARTBEAT_INTERVAL_MS: '300',
  PRESENCE_ONLINE_THRESHOLD_MS: '1500',
  PRESENCE_FLUSH_INTERVAL_MS: '100',
  PRESENCE_SWEEP_INTERVAL_MS: '200',
  PRESENCE_REGISTRY_TTL_MS: '1000',
  PRESENCE_PRIVACY_CACHE_MS: '300',
  TYPING_TTL_MS: '800',
  TYPING_RATE_PER_SECOND: '2',
  TYPING_BURST: '5',
} as const;
export const THRESHOLD_MS = 1500;
export const FLUSH_MS = 100;
export const SWEEP_MS = 200;
export const REGISTRY_TTL_MS = 1000;
export const PRIVACY_CACHE_MS = 300;
export const TYPING_TTL_MS = 800;
/** How long an emptied typing bucket (burst 5 at 2 a second) takes to fill again. */
export const TYPING_REFILL_MS = (5 / 2) * 1000;

/** A device connected through the SDK to exactly these gateways, recording presence and typing frames. */
export class PresenceDevice {
  readonly presence: Array<PresenceState & { receivedAt: number }> = [];
  readonly typing: Array<{ conversationId: string; userId: string; state: string; at: number }> = [];
  /** Wakes the `until` waits at every presence or typing frame. */
  private readonly watchers = new Set<() => void>();

  private constructor(
    readonly device: TestDevice,
    readonly client: ChatClient,
  ) {}

  static async connect(
    device: TestDevice,
    urls: string[],
    opts: { heartbeat?: boolean } = {},
  ): Promise<PresenceDevice> {
    const client = new ChatClient({
      urls,
      getAccessToken: () => device.tokens.accessToken,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      heartbeat: opts.heartbeat ?? true,
      heartbeatIntervalMs: 300,
    });
    client.on('error', () => undefined);
    const d = new PresenceDevice(device, client);
    client.on('presence', (p) => d.record(() => d.presence.push({ ...p, receivedAt: Date.now() })));
    client.on('typing', (t) => d.record(() => d.typing.push({ ...t, at: Date.now() })));
    await client.connect();
    return d;
  }

  private record(push: () => void): void {
    push();
    for (const wake of [...this.watchers]) wake();
  }

  /** Resolves as soon as `check` holds, re-checked at each presence or typing frame. */
  until(check: () => boolean, timeoutMs = 10_000, what = 'a presence or typing frame'): Promise<void> {
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

  get userId(): string {
    return this.device.userId;
  }

  /** Waits for a live presence frame about a user that matches. */
  async waitForPresence(
    userId: string,
    match: (p: PresenceState) => boolean,
    timeoutMs = 10_000,
    from = 0,
  ): Promise<PresenceState & { receivedAt: number }> {
    let found: (PresenceState & { receivedAt: number }) | undefined;
    await this.until(
      () => {
        found = this.presence.slice(from).find((p) => p.userId === userId && match(p));
        return found !== undefined;
      },
      timeoutMs,
      `presence frame about ${userId}`,
    );
    return found!;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
