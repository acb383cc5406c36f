import { chatEventCodec, type EventEnvelope } from '#libs/events';
import type { CommandContext } from './errors.js';

/**
 * Wraps event data in its envelope with the context's time and a fresh event id, at the version the
 * catalogue writes (a type whose stored shape changed, e.g. to sealed personal fields, is at v2).
 */
export function envelope<E extends EventEnvelope>(ctx: CommandContext, type: E['type'], data: E['data']): E {
  const version = chatEventCodec.definition(type).version;
  return { type, version, id: ctx.newEventId(), occurredAt: ctx.now.toISOString(), data } as E;
}
