/** The fields of a MessageSent that decide whether anyone may need a push: none of them personal. */
export interface MessageHead {
  readonly conversationId: string;
  readonly messageId: string;
  readonly senderDeviceId: string;
  readonly membershipVersion: number;
  readonly sentAtMs: number;
  /** Members who blocked the sender: no push for them (issue 18). */
  readonly withheldFrom: readonly string[];
}

export type HeadRead =
  | { readonly kind: 'sent'; readonly head: MessageHead }
  | { readonly kind: 'other' }
  | { readonly kind: 'unknown' };

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 128;

/**
 * Reads the routing fields of a stored MessageSent (v2) straight from its JSON, without opening its
 * sealed personal fields or validating its content: for a message whose recipients have no push token
 * that is all the notifier needs. Anything else, or a shape it does not recognise ('unknown'), goes
 * through the full decode (the vault and the catalogue's schema), as does every message that may be
 * pushed, before anything is sent.
 */
export function readHead(bytes: Uint8Array): HeadRead {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return { kind: 'unknown' };
  }
  if (typeof raw !== 'object' || raw === null) return { kind: 'unknown' };
  const { type, version, data } = raw as { type?: unknown; version?: unknown; data?: unknown };
  if (typeof type === 'string' && type !== 'MessageSent') return { kind: 'other' };
  if (type !== 'MessageSent' || version !== 2 || typeof data !== 'object' || data === null)
    return { kind: 'unknown' };
  const d = data as Record<string, unknown>;
  const sentAtMs = typeof d.sentAt === 'string' ? Date.parse(d.sentAt) : NaN;
  if (
    !text(d.conversationId) ||
    !text(d.messageId) ||
    !text(d.senderDeviceId) ||
    !Number.isSafeInteger(d.membershipVersion) ||
    !Number.isFinite(sentAtMs) ||
    (d.withheldFrom !== undefined && !(Array.isArray(d.withheldFrom) && d.withheldFrom.every(text)))
  )
    return { kind: 'unknown' };
  return {
    kind: 'sent',
    head: {
      conversationId: d.conversationId,
      messageId: d.messageId,
      senderDeviceId: d.senderDeviceId,
      membershipVersion: d.membershipVersion as number,
      sentAtMs,
      withheldFrom: (d.withheldFrom as string[] | undefined) ?? [],
    },
  };
}
