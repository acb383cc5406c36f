/**
 * What is stored in JetStream: readonly data with a string-literal type (not a class: it crosses the
 * wire as JSON, where instanceof means nothing).
 */
export interface EventEnvelope<T extends string = string, D = unknown> {
  readonly type: T;
  readonly version: number;
  /** Unique id of this event (also its Nats-Msg-Id unless the command supplies an idempotency key). */
  readonly id: string;
  /** ISO-8601 time the command was decided, from the command's clock. */
  readonly occurredAt: string;
  readonly data: D;
  /**
   * Set on read only: the personal fields (dot paths into data) whose owner was forgotten; they hold
   * FORGOTTEN instead of their value. Never written.
   */
  readonly forgotten?: readonly string[];
}

/** An envelope read back from the log, with where it sits there. */
export interface StoredEvent<E extends EventEnvelope = EventEnvelope> {
  readonly event: E;
  readonly subject: string;
  readonly stream: string;
  readonly streamSequence: number;
}
