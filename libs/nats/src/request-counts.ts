import type { NatsConnection } from '@nats-io/transport-node';

/** The increment of one (caller, kind) counter (a prom-client Counter's bound child). */
export interface RequestCounter {
  inc(): void;
}

/**
 * What a request does, from its subject. Every JetStream call of nats.js v3 (publish with PubAck, direct
 * get, consumer and stream API, KV put) is a core request, so counting at `nc.request` sees them all.
 */
export const REQUEST_KINDS = [
  'publish',
  'direct_get',
  'consumer_info',
  'consumer_create',
  'consumer_delete',
  'msg_get',
  'stream_info',
  'stream_api',
  'kv_put',
  'api',
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/**
 * Who asked, as far as the subject tells: the subject family of a publish (`conv.msg`, `conv.meta`,
 * `conv.rcpt`, `user`, `presence`, `dlq`) or the stream an API call is about (`chat`, `users`,
 * `presence`, `dlq`, `kv`). Stable names, a handful of them: one family is written by one component.
 */
export const REQUEST_CALLERS = [
  'conv.msg',
  'conv.meta',
  'conv.rcpt',
  'user',
  'presence',
  'dlq',
  'chat',
  'users',
  'kv',
  'other',
] as const;
export type RequestCaller = (typeof REQUEST_CALLERS)[number];

const JS_API = '$JS.API.';

function kindOf(subject: string): RequestKind {
  if (subject.startsWith('$KV.')) return 'kv_put';
  if (!subject.startsWith(JS_API)) return 'publish';
  if (subject.startsWith('DIRECT.GET.', JS_API.length)) return 'direct_get';
  if (subject.startsWith('CONSUMER.INFO.', JS_API.length)) return 'consumer_info';
  if (
    subject.startsWith('CONSUMER.CREATE.', JS_API.length) ||
    subject.startsWith('CONSUMER.DURABLE.CREATE.', JS_API.length)
  )
    return 'consumer_create';
  if (subject.startsWith('CONSUMER.DELETE.', JS_API.length)) return 'consumer_delete';
  // A message read by sequence or last-by-subject through the stream API (not the direct get API).
  if (subject.startsWith('STREAM.MSG.GET.', JS_API.length)) return 'msg_get';
  if (subject.startsWith('STREAM.INFO.', JS_API.length)) return 'stream_info';
  if (subject.startsWith('STREAM.', JS_API.length)) return 'stream_api';
  return 'api';
}

function callerOf(subject: string, kind: RequestKind): RequestCaller {
  if (kind === 'kv_put') return 'kv';
  if (kind === 'publish') {
    if (subject.includes('.conv.')) {
      if (subject.endsWith('.msg')) return 'conv.msg';
      if (subject.endsWith('.meta')) return 'conv.meta';
      if (subject.endsWith('.rcpt')) return 'conv.rcpt';
      return 'other';
    }
    if (subject.includes('.user.') || subject.startsWith('user.')) return 'user';
    if (subject.includes('.presence.') || subject.startsWith('presence.')) return 'presence';
    if (subject.includes('.dlq.') || subject.startsWith('dlq.')) return 'dlq';
    return 'other';
  }
  if (subject.includes('KV_')) return 'kv';
  if (subject.includes('CHAT_')) return 'chat';
  if (subject.includes('USERS')) return 'users';
  if (subject.includes('PRESENCE')) return 'presence';
  if (subject.includes('DLQ')) return 'dlq';
  return 'other';
}

/**
 * Counts a connection's requests by (caller, kind) for chat_nats_requests_total. Classifying a subject
 * is a few prefix and suffix checks; each pair's counter is bound once, so a request costs no allocation.
 */
export class NatsRequestCounts {
  private readonly counters = new Map<RequestKind, Map<RequestCaller, RequestCounter>>();

  constructor(private readonly counterOf: (caller: RequestCaller, kind: RequestKind) => RequestCounter) {}

  count(subject: string): void {
    const kind = kindOf(subject);
    const caller = callerOf(subject, kind);
    let byCaller = this.counters.get(kind);
    if (!byCaller) this.counters.set(kind, (byCaller = new Map()));
    let counter = byCaller.get(caller);
    if (!counter) byCaller.set(caller, (counter = this.counterOf(caller, kind)));
    counter.inc();
  }

  /** Counts every request `nc` sends from now on (JetStream and KV clients built on it included). */
  attach(nc: NatsConnection): void {
    const request = nc.request.bind(nc);
    nc.request = (subject, payload, opts) => {
      this.count(subject);
      return request(subject, payload, opts);
    };
  }
}
