import type { EventEnvelope } from '#libs/events';
import type { CommandContext } from './errors.js';

/** Wraps event data in its envelope with the context's time and a fresh event id. */
export function envelope<E extends EventEnvelope>(ctx: CommandContext, type: E['type'], data: E['data']): E {
  return { type, version: 1, id: ctx.newEventId(), occurredAt: ctx.now.toISOString(), data } as E;
}
