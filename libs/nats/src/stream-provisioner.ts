import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos, TimeoutError } from '@nats-io/transport-node';
import type { StreamSpec } from './stream-topology.js';

export type ProvisionOutcome = 'created' | 'updated' | 'unchanged';

function desired(spec: StreamSpec, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    description: spec.description,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(spec.maxAgeMs),
    duplicate_window: nanos(spec.duplicateWindowMs),
    num_replicas: replicas,
    allow_direct: true,
    // The log is the source of truth: no single event is deleted. Purge by subject stays possible for
    // retention windows and the right to be forgotten (docs/ARCHITECTURE.md).
    deny_delete: true,
    deny_purge: false,
  };
}

function differs(current: StreamConfig, want: ReturnType<typeof desired>): boolean {
  return (
    JSON.stringify([...current.subjects].sort()) !== JSON.stringify([...(want.subjects ?? [])].sort()) ||
    current.max_age !== want.max_age ||
    current.duplicate_window !== want.duplicate_window ||
    current.description !== want.description ||
    current.allow_direct !== want.allow_direct
  );
}

/** How long a start waits for a forming cluster to have the peers a replicated stream needs. */
const PLACEMENT_WAIT_MS = 60_000;

/**
 * JetStream's "no suitable peers for placement" (10005): a cluster still forming has too few peers. Or
 * no answer in time: a cluster still electing the new group's leader may answer after the timeout.
 */
function isNotPlacedYet(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  return err instanceof JetStreamApiError && (err.code === 10005 || /no suitable peers/i.test(err.message));
}

/**
 * Runs `create` (a stream or KV bucket with replicas), again while a forming cluster cannot place the
 * replicas yet or answers late: apps started beside a cluster that is still joining up wait for it
 * instead of exiting. A create that timed out may have been applied: creating the same again is a no-op.
 */
export async function whilePlacing<T>(create: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + PLACEMENT_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await create();
    } catch (err) {
      if (!isNotPlacedYet(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 2000)));
    }
  }
}

/** Creates or updates streams idempotently; reads the config back because 2.9 ignores unknown fields. */
export async function provisionStreams(
  jsm: JetStreamManager,
  specs: readonly StreamSpec[],
  replicas: number,
): Promise<Record<string, ProvisionOutcome>> {
  const outcome: Record<string, ProvisionOutcome> = {};
  for (const spec of specs) {
    const want = desired(spec, replicas);
    let info;
    try {
      info = await jsm.streams.info(spec.name);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    }
    if (!info) {
      info = await whilePlacing(() => jsm.streams.add(want));
      outcome[spec.name] = 'created';
    } else if (differs(info.config, want)) {
      info = await jsm.streams.update(spec.name, { ...info.config, ...want });
      outcome[spec.name] = 'updated';
    } else {
      outcome[spec.name] = 'unchanged';
    }
    if (differs(info.config, want)) {
      throw new Error(
        `stream ${spec.name}: the server did not accept the wanted config (is it older than 2.9?)`,
      );
    }
  }
  return outcome;
}
