import { ChatHttpClient, type TokenPair } from '#libs/client-sdk';

/** What this browser keeps of its device: tokens and the phone number it signed in with. */
export interface StoredSession {
  readonly userId: string;
  readonly deviceId: string;
  readonly phone: string;
  readonly linked: boolean;
  accessToken: string;
  refreshToken: string;
  /** ms since epoch when the access token expires. */
  accessExpiresAt: number;
}

const KEY = 'chat.session';
/** Refresh this long before expiry, so a connect never starts with a token about to lapse. */
const REFRESH_MARGIN_MS = 30_000;

export function loadSession(): StoredSession | undefined {
  const raw = localStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    const s = JSON.parse(raw) as Partial<StoredSession>;
    if (
      typeof s.userId === 'string' &&
      typeof s.deviceId === 'string' &&
      typeof s.accessToken === 'string' &&
      typeof s.refreshToken === 'string' &&
      typeof s.accessExpiresAt === 'number'
    )
      return { phone: '', linked: false, ...s } as StoredSession;
  } catch {
    // a damaged entry is the same as none: sign in again
  }
  return undefined;
}

export function saveSession(s: StoredSession): void {
  localStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}

export function sessionOf(t: TokenPair, phone: string, linked: boolean): StoredSession {
  return {
    userId: t.userId,
    deviceId: t.deviceId,
    phone,
    linked,
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    accessExpiresAt: Date.now() + t.accessExpiresIn * 1000,
  };
}

/**
 * Hands out a valid access token, refreshing it when it is about to expire. A refresh token works
 * once (a second use ends the session), so concurrent callers share one refresh.
 */
export class TokenKeeper {
  private refreshing?: Promise<string>;

  constructor(
    private readonly http: ChatHttpClient,
    readonly session: StoredSession,
    private readonly onEnded: () => void,
  ) {}

  async accessToken(): Promise<string> {
    if (this.session.accessExpiresAt - REFRESH_MARGIN_MS > Date.now()) return this.session.accessToken;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(): Promise<string> {
    try {
      const t = await this.http.refresh(this.session.refreshToken);
      this.session.accessToken = t.accessToken;
      this.session.refreshToken = t.refreshToken;
      this.session.accessExpiresAt = Date.now() + t.accessExpiresIn * 1000;
      saveSession(this.session);
      return t.accessToken;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 401 || status === 403) this.onEnded();
      throw err;
    }
  }
}
