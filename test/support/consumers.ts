import { partitionStreamName, type NatsClient } from '#libs/nats';

/**
 * Whether a durable consumer has handled everything on every conversation partition: nothing left to
 * deliver and nothing delivered but unacknowledged. A consumer acknowledges after its handler, so what
 * the handler does (rows, metrics, pushes) is done: the wait for "the notifier has read it".
 */
export async function consumerCaughtUp(nats: NatsClient, durable: string): Promise<boolean> {
  for (let p = 0; p < nats.topology.partitions; p++) {
    const info = await nats.jsm.consumers.info(partitionStreamName(nats.topology, p), durable);
    if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
  }
  return true;
}
