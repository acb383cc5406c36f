import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { DURABLES } from './consumer-names.js';
import { streamTopology, type TopologySettings } from './stream-topology.js';

export interface StreamStatus {
  readonly stream: string;
  readonly exists: boolean;
  readonly messages: number;
  readonly bytes: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly consumers: number;
}

export interface ConsumerStatus {
  readonly stream: string;
  readonly consumer: string;
  readonly numPending: number;
  readonly numAckPending: number;
  readonly numRedelivered: number;
  readonly ackFloor: number;
}

/** A projection's lag summed over the streams it reads. */
export interface ProjectionLag {
  readonly projection: string;
  readonly streams: number;
  /** Events stored but not yet acknowledged (num_pending + num_ack_pending). */
  readonly lagEvents: number;
  /** Age of the oldest event it has not acknowledged (0 when caught up). */
  readonly lagSeconds: number;
}

export interface SystemStatus {
  readonly at: string;
  readonly streams: StreamStatus[];
  readonly consumers: ConsumerStatus[];
  readonly projections: ProjectionLag[];
}

const PROJECTIONS: Record<string, string> = {
  [DURABLES.projectorConversations]: 'conversations',
  [DURABLES.projectorUsers]: 'users',
};

async function oldestUnackedAgeSeconds(
  jsm: JetStreamManager,
  c: ConsumerStatus,
  now: number,
): Promise<number> {
  if (c.numPending + c.numAckPending === 0) return 0;
  try {
    const m = await jsm.streams.getMessage(c.stream, { seq: c.ackFloor + 1 });
    return m ? Math.max(0, (now - m.time.getTime()) / 1000) : 0;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound) return 0;
    throw err;
  }
}

/** What `chatctl status` shows: every stream, every consumer on it, and each projection's lag. */
export async function systemStatus(
  jsm: JetStreamManager,
  topology: TopologySettings,
  now = Date.now(),
): Promise<SystemStatus> {
  const streams: StreamStatus[] = [];
  const consumers: ConsumerStatus[] = [];
  for (const spec of streamTopology(topology)) {
    let info;
    try {
      info = await jsm.streams.info(spec.name);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
        streams.push({
          stream: spec.name,
          exists: false,
          messages: 0,
          bytes: 0,
          firstSeq: 0,
          lastSeq: 0,
          consumers: 0,
        });
        continue;
      }
      throw err;
    }
    const s = info.state;
    streams.push({
      stream: spec.name,
      exists: true,
      messages: s.messages,
      bytes: s.bytes,
      firstSeq: s.first_seq,
      lastSeq: s.last_seq,
      consumers: s.consumer_count,
    });
    for await (const c of jsm.consumers.list(spec.name)) {
      consumers.push({
        stream: spec.name,
        consumer: c.name,
        numPending: c.num_pending,
        numAckPending: c.num_ack_pending,
        numRedelivered: c.num_redelivered,
        ackFloor: c.ack_floor.stream_seq,
      });
    }
  }
  consumers.sort((a, b) => a.stream.localeCompare(b.stream) || a.consumer.localeCompare(b.consumer));

  const byProjection = new Map<string, { streams: number; lagEvents: number; lagSeconds: number }>();
  for (const c of consumers) {
    const projection = PROJECTIONS[c.consumer];
    if (!projection) continue;
    const acc = byProjection.get(projection) ?? { streams: 0, lagEvents: 0, lagSeconds: 0 };
    acc.streams++;
    acc.lagEvents += c.numPending + c.numAckPending;
    acc.lagSeconds = Math.max(acc.lagSeconds, await oldestUnackedAgeSeconds(jsm, c, now));
    byProjection.set(projection, acc);
  }
  const projections = [...byProjection].map(([projection, v]) => ({
    projection,
    ...v,
    lagSeconds: Number(v.lagSeconds.toFixed(1)),
  }));
  return { at: new Date(now).toISOString(), streams, consumers, projections };
}
