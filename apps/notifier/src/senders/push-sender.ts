import type { PushProvider, PushToken } from '#libs/events';

/** What a device is told: already reduced to what the user's settings allow. */
export interface Notification {
  readonly conversationId: string;
  readonly messageId: string;
  readonly title: string;
  readonly body: string;
  /** Messages this notification stands for (collapsed within the window). */
  readonly count: number;
  /** Same value for every push of one conversation: the device shows only the latest. */
  readonly collapseKey: string;
}

/**
 * A provider's answer, classified: accepted; retry (429, 5xx, timeout or network, with the provider's
 * Retry-After if any); invalid token (remove it); failed for good (no retry helps).
 */
export type SendOutcome =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  | { readonly kind: 'invalid-token'; readonly error: string }
  | { readonly kind: 'failed'; readonly error: string };

export interface PushSender<P extends PushProvider = PushProvider> {
  readonly provider: P;
  /** False when the deployment has no credentials for this provider. */
  readonly enabled: boolean;
  send(token: Extract<PushToken, { provider: P }>, notification: Notification): Promise<SendOutcome>;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(
  header: string | string[] | undefined | null,
  now = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The classification every provider shares for statuses it does not single out. */
export function classifyStatus(status: number, error: string, retryAfter?: number): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'accepted' };
  if (status === 429 || status >= 500)
    return { kind: 'retry', error, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
  return { kind: 'failed', error };
}

export const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** PEM keys often arrive through env files with escaped newlines. */
export const pemFromEnv = (value: string): string => value.replace(/\\n/g, '\n');
