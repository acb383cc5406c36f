import type { z } from 'zod';
import type { PersonalField } from './personal/personal-fields.js';

/** Which aggregate an event belongs to, which decides its subject. */
export type EventAggregate = 'conversation' | 'user' | 'presence';

/**
 * One event type at its current version. `schema` checks `data` on write and on read; `upcasters` turn
 * older stored versions into the current shape, in one place (docs/events.md lists them).
 */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly version: number;
  readonly aggregate: EventAggregate;
  /** For conversation events: the subject kind it is appended to. */
  readonly subjectKind?: 'meta' | 'msg' | 'rcpt';
  readonly description: string;
  readonly schema: S;
  /** upcasters[v] turns data of version v into data of version v + 1. */
  readonly upcasters?: Readonly<Record<number, (data: unknown) => unknown>>;
  /** Fields holding a person's data: sealed with the owner's key on write, opened on read. */
  readonly personal?: readonly PersonalField[];
}

export function defineEvent<T extends string, S extends z.ZodType>(
  def: EventDefinition<T, S>,
): EventDefinition<T, S> {
  return Object.freeze(def);
}
