/**
 * How a test waits: on the condition it needs (an event, a frame, a row), never a guessed sleep. A
 * fixed sleep is either too short on a loaded CI machine (a flaky failure) or too long everywhere (a
 * slow suite); test/support/no-fixed-sleeps.unit.spec.ts keeps new ones out of the specs.
 *
 * - `until(check, subscribe)`: re-checks whenever the thing that changes it says so (a device's frames,
 *   a process's output): it answers at the event, with no polling latency.
 * - `eventually(check)`: polls, for state with no event to listen to (a row, an HTTP answer, a metric).
 * - `quietPeriod(ms)`: the one legitimate fixed wait, when what a test proves is that something does
 *   NOT happen; take it after a positive signal (a later marker arrived) wherever one exists.
 * - `pace(ms)`: the scenario's own timing (a load generator's spacing, a retry's back-off, how long a
 *   fault lasts or a voice note records); not a wait for anything.
 * - `outlast(window, margin)`: a server-side time window (de-duplication window, URL life) running out.
 */

/** Polls until `check` returns true or the time runs out (for state that has no event to listen to). */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A check that never settles (a request to a frozen server) must not outlive the deadline.
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>(
      (r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now()) + 100)),
    );
    const met = await Promise.race([check().catch(() => false), expired]);
    clearTimeout(timer);
    if (met) return;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Registers `wake` to be called when the checked state may have changed; returns the unsubscribe. */
export type Subscribe = (wake: () => void) => () => void;

/**
 * Resolves as soon as `check()` holds, re-checking it at every change `subscribe` reports (and once at
 * the start); rejects naming `what` after `timeoutMs`.
 */
export function until(
  check: () => boolean,
  subscribe: Subscribe,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let unsubscribe: () => void = () => undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`${what} not met within ${timeoutMs} ms`));
    }, timeoutMs);
    const wake = (): void => {
      let done: boolean;
      try {
        done = check();
      } catch (err) {
        clearTimeout(timer);
        unsubscribe();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (!done) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    unsubscribe = subscribe(wake);
    wake();
  });
}

/** A minimal emitter (Node's EventEmitter, a socket, a child's stdout). */
interface Emitter {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** `subscribe` for `until` that wakes on any of `events` of an emitter. */
export function onEvents(emitter: Emitter, ...events: string[]): Subscribe {
  return (wake) => {
    for (const e of events) emitter.on(e, wake);
    return () => {
      for (const e of events) emitter.off(e, wake);
    };
  };
}

/**
 * A deliberate quiet period: the test proves something does NOT happen (no second copy, no push)
 * within `ms`. Name the constant passed in and say in a comment why that long is enough.
 */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The scenario's own timing (a load generator's spacing, a retry's back-off): not a wait for anything. */
export function pace(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Outlasts a server-side time window whose end is itself the condition (a de-duplication window, a
 * signed URL's life, a TTL): nothing announces it, so the test waits its length plus a margin.
 */
export function outlast(windowMs: number, marginMs: number): Promise<void> {
  return new Promise((r) => setTimeout(r, windowMs + marginMs));
}
