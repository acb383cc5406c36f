import { z } from 'zod';
import type { EventDefinition } from './event-definition.js';
import type { EventEnvelope } from './envelope.js';
import { EventSchemaError } from './event-errors.js';
import {
  FORGOTTEN,
  getPath,
  isSealed,
  sealedValue,
  sealingKeyOf,
  setPath,
  type SealedValue,
} from './personal/personal-fields.js';

/** Seals one personal value for its owner (keys fetched beforehand: the codec stays synchronous). */
export type Sealer = (owner: string, plaintext: string) => SealedValue;
/** Opens one sealed value; undefined when the owner's key was destroyed (the user was forgotten). */
export type Opener = (sealed: SealedValue) => string | undefined;

/** What the event store needs to turn events into bytes and back (the codec, or a vault around it). */
export interface EventSerializer<E extends EventEnvelope> {
  encode(event: E): Uint8Array | Promise<Uint8Array>;
  decode(bytes: Uint8Array): E | Promise<E>;
}

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
export class EventCodec<E extends EventEnvelope> implements EventSerializer<E> {
  private readonly byType: ReadonlyMap<string, EventDefinition>;

  constructor(definitions: readonly EventDefinition[]) {
    this.byType = new Map(definitions.map((d) => [d.type, d]));
  }

  definition(type: string): EventDefinition {
    const def = this.byType.get(type);
    if (!def) throw new EventSchemaError('EVENT_UNKNOWN_TYPE', `unknown event type "${type}"`);
    return def;
  }

  /**
   * Checks an event against its schema before it is written; throws EventSchemaError otherwise. With a
   * sealer, personal fields are stored sealed; without one (fixtures, the unit tests) they are stored as
   * plaintext, the shape legacy v1 events have. The apps always write through PersonalDataVault.
   */
  encode(event: E, seal?: Sealer): Uint8Array {
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
    const stored: unknown = data.data;
    for (const field of seal ? (def.personal ?? []) : []) {
      const value = getPath(stored, field.path);
      if (value === undefined) continue;
      setPath(stored, field.path, seal!(sealingKeyOf(stored, field), String(value)));
    }
    const { type, version, id, occurredAt } = event; // `forgotten` is a reader's note, never stored
    return new TextEncoder().encode(JSON.stringify({ type, version, id, occurredAt, data: stored }));
  }

  /** The users whose keys the sealed values of these bytes need (to fetch them before decode). */
  sealedOwners(bytes: Uint8Array): string[] {
    const { def, data } = this.parse(bytes);
    const owners = new Set<string>();
    for (const field of def.personal ?? []) {
      const value = getPath(data, field.path);
      if (isSealed(value)) owners.add(String((value as { owner?: unknown }).owner));
    }
    return [...owners];
  }

  /**
   * Parses stored bytes, upcasts older versions to the current one, opens sealed personal fields, and
   * checks the schema. A field whose owner was forgotten reads FORGOTTEN and is listed in `forgotten`;
   * a sealed field read without an opener throws EVENT_SEALED (plaintext is never guessed).
   */
  decode(bytes: Uint8Array, open?: Opener): E {
    const parsed = this.parse(bytes);
    const { def, envelope } = parsed;
    let { version, data } = parsed;
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
    const forgotten: string[] = [];
    for (const field of def.personal ?? []) {
      const value = getPath(data, field.path);
      if (!isSealed(value)) continue; // absent, or plaintext (v1, fixtures)
      const sealed = sealedValue.safeParse(value);
      if (!sealed.success)
        throw new EventSchemaError(
          'EVENT_SCHEMA_INVALID',
          `${def.type}.${field.path}: ${issues(sealed.error)}`,
        );
      if (sealed.data.owner !== sealingKeyOf(data, field))
        throw new EventSchemaError(
          'EVENT_SEAL_BROKEN',
          `${def.type}.${field.path} is sealed for another user`,
        );
      if (!open)
        throw new EventSchemaError(
          'EVENT_SEALED',
          `${def.type}.${field.path} is sealed; read it through the vault`,
        );
      const plaintext = open(sealed.data);
      if (plaintext === undefined) forgotten.push(field.path);
      setPath(data, field.path, plaintext ?? FORGOTTEN);
    }
    const checked = def.schema.safeParse(data);
    if (!checked.success)
      throw new EventSchemaError('EVENT_SCHEMA_INVALID', `${def.type}: ${issues(checked.error)}`);
    return {
      ...envelope,
      version,
      data: checked.data,
      ...(forgotten.length > 0 ? { forgotten } : {}),
    } as E;
  }

  private parse(bytes: Uint8Array) {
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new EventSchemaError('EVENT_MALFORMED', 'event payload is not JSON');
    }
    const envelope = envelopeShape.safeParse(raw);
    if (!envelope.success) throw new EventSchemaError('EVENT_MALFORMED', issues(envelope.error));
    const def = this.definition(envelope.data.type);
    return { def, envelope: envelope.data, version: envelope.data.version, data: envelope.data.data };
  }
}
