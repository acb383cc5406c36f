import type { CqlClient } from '#libs/cassandra';
import { pushToken, type PushProvider, type PushToken } from '#libs/events';

export interface DevicePushToken {
  readonly deviceId: string;
  readonly token: PushToken;
}

export interface NotificationSettings {
  readonly preview: 'show' | 'hide';
}

/**
 * Push tokens, mutes and the preview setting (tables push_tokens, conversation_mutes,
 * notification_settings). Writes carry USING TIMESTAMP <stream sequence>, so a replay never undoes a newer
 * event.
 */
export class PushSettingsStore {
  constructor(private readonly cql: CqlClient) {}

  async putToken(userId: string, deviceId: string, token: PushToken, streamSeq: number): Promise<void> {
    await this.cql.execute(
      'INSERT INTO push_tokens (user_id, device_id, provider, token_json) VALUES (?, ?, ?, ?) USING TIMESTAMP ?',
      [userId, deviceId, token.provider, JSON.stringify(token), streamSeq],
    );
  }

  async removeToken(
    userId: string,
    deviceId: string,
    provider: PushProvider,
    streamSeq: number,
  ): Promise<void> {
    await this.cql.execute(
      'DELETE FROM push_tokens USING TIMESTAMP ? WHERE user_id = ? AND device_id = ? AND provider = ?',
      [streamSeq, userId, deviceId, provider],
    );
  }

  async removeDevice(userId: string, deviceId: string, streamSeq: number): Promise<void> {
    await this.cql.execute('DELETE FROM push_tokens USING TIMESTAMP ? WHERE user_id = ? AND device_id = ?', [
      streamSeq,
      userId,
      deviceId,
    ]);
  }

  /** A user's tokens, by device. */
  async tokens(userId: string): Promise<DevicePushToken[]> {
    const rs = await this.cql.execute('SELECT device_id, token_json FROM push_tokens WHERE user_id = ?', [
      userId,
    ]);
    return rs.rows.map((r) => ({
      deviceId: r.get('device_id') as string,
      token: pushToken.parse(JSON.parse(r.get('token_json') as string)),
    }));
  }

  async mute(
    userId: string,
    conversationId: string,
    until: Date | undefined,
    streamSeq: number,
  ): Promise<void> {
    await this.cql.execute(
      'INSERT INTO conversation_mutes (user_id, conversation_id, muted_until) VALUES (?, ?, ?) USING TIMESTAMP ?',
      [userId, conversationId, until ?? null, streamSeq],
    );
  }

  async unmute(userId: string, conversationId: string, streamSeq: number): Promise<void> {
    await this.cql.execute(
      'DELETE FROM conversation_mutes USING TIMESTAMP ? WHERE user_id = ? AND conversation_id = ?',
      [streamSeq, userId, conversationId],
    );
  }

  /** Whether the conversation is muted for the user at `now`. */
  async isMuted(userId: string, conversationId: string, now: Date): Promise<boolean> {
    const rs = await this.cql.execute(
      'SELECT muted_until FROM conversation_mutes WHERE user_id = ? AND conversation_id = ?',
      [userId, conversationId],
    );
    const row = rs.first();
    if (!row) return false;
    const until = row.get('muted_until') as Date | null;
    return !until || until.getTime() > now.getTime();
  }

  async setPreview(userId: string, preview: 'show' | 'hide', streamSeq: number): Promise<void> {
    await this.cql.execute(
      'INSERT INTO notification_settings (user_id, preview) VALUES (?, ?) USING TIMESTAMP ?',
      [userId, preview, streamSeq],
    );
  }

  async settings(userId: string): Promise<NotificationSettings> {
    const rs = await this.cql.execute('SELECT preview FROM notification_settings WHERE user_id = ?', [
      userId,
    ]);
    return { preview: rs.first()?.get('preview') === 'hide' ? 'hide' : 'show' };
  }
}
