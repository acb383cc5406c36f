import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient, migrate, type CqlClient } from '#libs/cassandra';
import { ConversationFanOut, type FanOutPayload, type PublishedEntry } from '#libs/projections';
import { TimelineStore, type LogPosition } from '#libs/read-models';
import { FencedFanOut } from '../src/partitions/fenced-fan-out.js';
import { LeaseFencedError, PartitionFence } from '../src/partitions/partition-fence.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import { createTestEnv } from '../../../test/support/test-env.js';
import { isDependencyUnavailable } from '#libs/platform';

const env = createTestEnv();
let cql: CqlClient;

const message = (seq: number) => ({
  conversationId: 'fenced',
  messageId: String(2_000_000 + seq),
  seq,
  senderUserId: 'ann',
  senderDeviceId: 'd1',
  clientMessageId: `c-fenced-${seq}`,
  text: `message ${seq}`,
  sentAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
});

/** Records what reaches it, as the projector's FanOut would publish and write. */
class RecordingFanOut extends ConversationFanOut {
  readonly published: number[] = [];
  readonly persisted: number[] = [];
  async publish(position: LogPosition, _c: string, _r: unknown, _p: FanOutPayload): Promise<PublishedEntry> {
    this.published.push(position.seq);
    return { count: 1, persist: async () => void this.persisted.push(position.seq) };
  }
}

describe('a fenced partition writes and publishes nothing (real Cassandra)', () => {
  before(async () => {
    await migrate(env.cassandra);
    cql = createCassandraClient(env.cassandra);
  });
  after(async () => {
    await cql.shutdown();
    await cleanupTestEnv(env);
  });

  test('statements go through until the fence closes, then fail as unavailable', async () => {
    const fence = new PartitionFence(3);
    const timeline = new TimelineStore(fence.guard(cql), 1);
    await timeline.insert(message(1));
    fence.close();
    await assert.rejects(timeline.insert(message(2)), (err: unknown) => {
      assert.ok(err instanceof LeaseFencedError);
      assert.match(err.message, /partition 3 is fenced/);
      // Never parked: the event waits, unacknowledged, for the lease's next holder.
      assert.equal(isDependencyUnavailable(err), true);
      return true;
    });
    const unfenced = new TimelineStore(cql, 1);
    assert.ok(await unfenced.ref('fenced', message(1).messageId), 'the write before the fence is there');
    assert.equal(await unfenced.ref('fenced', message(2).messageId), undefined, 'none after it');
  });

  test('an entry published before the fence writes no inbox rows after it; none is published after', async () => {
    const fence = new PartitionFence(1);
    const inner = new RecordingFanOut();
    const fanOut = new FencedFanOut(inner, fence);
    const at = (seq: number): LogPosition => ({ partition: 1, seq });
    const early = await fanOut.publish(at(1), 'c', [], { kind: 'receipt', data: {} as never });
    fence.close();
    await assert.rejects(early.persist(), LeaseFencedError);
    await assert.rejects(
      fanOut.publish(at(2), 'c', [], { kind: 'receipt', data: {} as never }),
      LeaseFencedError,
    );
    assert.deepEqual([inner.published, inner.persisted], [[1], []]);
  });
});
