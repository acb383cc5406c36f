import type { PushProvider, PushToken, UserEvent } from '#libs/events';

/** What the notifier needs of one user: push tokens by device (one per provider), mutes, preview. */
interface UserPushState {
  readonly tokens: Map<string, Map<PushProvider, PushToken>>;
  /** Muted conversations: until when (ms since the epoch; Infinity without an end). */
  readonly mutes: Map<string, number>;
  preview: 'show' | 'hide';
}

export interface DeviceTokens {
  readonly deviceId: string;
  readonly tokens: readonly PushToken[];
}

const NONE: readonly DeviceTokens[] = [];

/**
 * Push tokens, mutes and the preview setting of every user, folded in memory from the USERS stream in
 * stream order (the same events the projector writes to push_tokens, conversation_mutes and
 * notification_settings). A message to users without a token costs one map lookup per member: no
 * SELECT per member per message. Pure state: UsersFollower feeds it.
 */
export class PushDirectory {
  private readonly users = new Map<string, UserPushState>();
  /** The USERS stream sequence folded so far. */
  position = 0;

  apply(event: UserEvent, seq: number): void {
    this.position = Math.max(this.position, seq);
    switch (event.type) {
      case 'PushTokenRegistered': {
        const { userId, deviceId, token } = event.data;
        const user = this.user(userId);
        let byProvider = user.tokens.get(deviceId);
        if (!byProvider) user.tokens.set(deviceId, (byProvider = new Map()));
        byProvider.set(token.provider, token);
        return;
      }
      case 'PushTokenRemoved': {
        const { userId, deviceId, provider } = event.data;
        const byProvider = this.users.get(userId)?.tokens.get(deviceId);
        byProvider?.delete(provider);
        if (byProvider?.size === 0) this.users.get(userId)?.tokens.delete(deviceId);
        return;
      }
      case 'DeviceRemoved':
        this.users.get(event.data.userId)?.tokens.delete(event.data.deviceId);
        return;
      case 'ConversationMuted': {
        const { userId, conversationId, until } = event.data;
        this.user(userId).mutes.set(conversationId, until ? Date.parse(until) : Infinity);
        return;
      }
      case 'ConversationUnmuted':
        this.users.get(event.data.userId)?.mutes.delete(event.data.conversationId);
        return;
      case 'NotificationPreviewSet':
        this.user(event.data.userId).preview = event.data.preview;
        return;
      case 'UserForgotten':
      case 'AccountDeleted':
        this.users.delete(event.data.userId);
        return;
      case 'UserRegistered':
      case 'DeviceAdded':
      case 'PrivacySettingsChanged':
      case 'ProfileNameChanged': // the push reads the name when it sends (it is sealed in the event)
      case 'ProfileAboutChanged':
      case 'ProfileAvatarChanged':
      case 'ProfilePrivacyChanged':
      case 'ContactsAdded':
      case 'ContactsRemoved':
      case 'ConversationArchived': // an archived chat still notifies (muting is what silences it)
      case 'ConversationPinned':
      case 'MessageStarred':
      case 'UserBlocked': // a withheld message names the blocker in the event itself
      case 'UserUnblocked':
      case 'UserReported':
      case 'ReportResolved':
      case 'IdentityKeyChanged':
        return;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  }

  /** The user's devices that have at least one token, with their tokens. */
  devicesOf(userId: string): readonly DeviceTokens[] {
    const user = this.users.get(userId);
    if (!user || user.tokens.size === 0) return NONE;
    return [...user.tokens].map(([deviceId, byProvider]) => ({ deviceId, tokens: [...byProvider.values()] }));
  }

  hasTokens(userId: string): boolean {
    return (this.users.get(userId)?.tokens.size ?? 0) > 0;
  }

  isMuted(userId: string, conversationId: string, nowMs: number): boolean {
    const until = this.users.get(userId)?.mutes.get(conversationId);
    return until !== undefined && until > nowMs;
  }

  preview(userId: string): 'show' | 'hide' {
    return this.users.get(userId)?.preview ?? 'show';
  }

  private user(userId: string): UserPushState {
    let user = this.users.get(userId);
    if (!user) this.users.set(userId, (user = { tokens: new Map(), mutes: new Map(), preview: 'show' }));
    return user;
  }
}
