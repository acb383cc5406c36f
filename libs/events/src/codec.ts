import { z } from 'zod';
import type { EventDefinition } from './event-definition.js';
import type { EventEnvelope } from './envelope.js';
import { EventSchemaError } from './event-errors.js';

const envelopeShape = z.object({
  type: z.string().min(1),
  version: z.number().int().positive(),
  id: z.string().min(1).max(128),
  occurredAt: z.iso.datetime({ offset: true }),
  data: z.unknown(),
});

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Encodes and decodes events of one catalogue; the only place events are (de)serialized. */
export class EventCodec<E extends EventEnvelope> {
  private readonly byType: ReadonlyMap<string, EventDefinition>;

  constructor(definitions: readonly EventDefinition[]) {
    this.byType = new Map(definitions.map((d) => [d.type, d]));
  }

  definition(type: string): EventDefinition {
    const def = this.byType.get(type);
    if (!def) throw new EventSchemaError('EVENT_UNKNOWN_TYPE', `unknown event type "${type}"`);
    return def;
  }

  /** Checks an event against its schema before it is written; throws EventSchemaError otherwise. */
  encode(event: E): Uint8Array {
    const def = this.definition(event.type);
    if (event.version !== def.version) {
      throw new EventSchemaError(
        'EVENT_VERSION_UNSUPPORTED',
        `${event.type} is written at version ${def.version}, not ${event.version}`,
      );
    }
    const envelope = envelopeShape.safeParse(event);
    if (!envelope.success)
      throw new EventSchemaError('EVENT_MALFORMED', `${event.type}: ${issues(envelope.error)}`);
    const data = def.schema.safeParse(event.data);
    if (!data.success)
      throw new EventSchemaError('EVENT_SCHEMA_INVALID', `${event.type}: ${issues(data.error)}`);
    return new TextEncoder().encode(JSON.stringify({ ...event, data: data.data }));
  }

  /** Parses stored bytes, upcasts older versions to the current one, and checks the schema. */
  decode(bytes: Uint8Array): E {
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new EventSchemaError('EVENT_MALFORMED', 'event payload is not JSON');
    }
    const envelope = envelopeShape.safeParse(raw);
    if (!envelope.success) throw new EventSchemaError('EVENT_MALFORMED', issues(envelope.error));
    const def = this.definition(envelope.data.type);
    let { version, data } = envelope.data;
    if (version > def.version) {
      throw new EventSchemaError(
        'EVENT_VERSION_UNSUPPORTED',
        `${def.type} v${version} is newer than this reader (v${def.version})`,
      );
    }
    while (version < def.version) {
      const up = def.upcasters?.[version];
      if (!up)
        throw new EventSchemaError('EVENT_VERSION_UNSUPPORTED', `${def.type}: no upcaster from v${version}`);
      data = up(data);
      version++;
    }
    const parsed = def.schema.safeParse(data);
    if (!parsed.success)
      throw new EventSchemaError('EVENT_SCHEMA_INVALID', `${def.type}: ${issues(parsed.error)}`);
    return { ...envelope.data, version, data: parsed.data } as E;
  }
}
