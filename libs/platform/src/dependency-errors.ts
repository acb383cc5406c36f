/**
 * Whether an error means a dependency (Cassandra, Redis, NATS) is down, slow or unreachable, rather than
 * that the work itself is wrong. Such a failure says nothing about the event or request: the same work
 * succeeds once the dependency is back, so it is retried (consumers) or answered UNAVAILABLE (the
 * gateway), never dead-lettered and never acknowledged. Judged by the drivers' error names and codes,
 * so this package needs none of them.
 */

/** cassandra-driver error classes raised when no replica answered in time. */
const CASSANDRA_UNAVAILABLE = new Set(['OperationTimedOutError', 'BusyConnectionError']);
/** Server response codes (ResponseError.code) that mean "try again later". */
const CASSANDRA_RETRYABLE_CODES = new Set([
  0x1000, // unavailable
  0x1001, // overloaded
  0x1002, // is bootstrapping
  0x1100, // write timeout
  0x1200, // read timeout
]);
/** Socket-level codes from Node (Redis, NATS and Cassandra connections alike). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
]);
/** nats.js and ioredis error names and codes for a connection that is gone, closed or silent. */
const CLIENT_UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'NoRespondersError',
  'ClosedConnectionError',
  'ConnectionError',
  'DrainingConnectionError',
  'RequestError',
  'MaxRetriesPerRequestError',
]);
const CLIENT_UNAVAILABLE_CODES = new Set([
  'TIMEOUT',
  '503',
  'CONNECTION_CLOSED',
  'DISCONNECT',
  'CONNECTION_DRAINING',
]);

/** Thrown by our own code when what it waits for (another process's progress, say) is not there yet. */
export class DependencyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DependencyUnavailableError';
  }
}

/**
 * cassandra-driver's "All host(s) tried for query failed" says only that every host failed: unavailable
 * when none of them answered with an error about the query itself (an unknown table, a statement the
 * server no longer has prepared: those fail the same way every time).
 */
function noHostAnswered(err: Error): boolean {
  const inner = Object.values((err as { innerErrors?: Record<string, unknown> }).innerErrors ?? {});
  return inner.every(
    (e) => !(e instanceof Error && e.name === 'ResponseError') || isDependencyUnavailable(e),
  );
}

export function isDependencyUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false;
  if (err instanceof DependencyUnavailableError) return true;
  const { name } = err;
  const code = (err as { code?: unknown }).code;
  if (CASSANDRA_UNAVAILABLE.has(name)) return true;
  if (name === 'ResponseError') return typeof code === 'number' && CASSANDRA_RETRYABLE_CODES.has(code);
  if (name === 'NoHostAvailableError') return noHostAnswered(err);
  // cassandra-driver's "Socket was closed" (a DriverError): the connection went away mid-request.
  if ((err as { isSocketError?: unknown }).isSocketError === true) return true;
  if (CLIENT_UNAVAILABLE_NAMES.has(name)) return true;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || CLIENT_UNAVAILABLE_CODES.has(code))) return true;
  if (/Connection is closed|Stream isn't writeable|connection closed/i.test(err.message)) return true;
  return err.cause !== undefined && isDependencyUnavailable(err.cause, depth + 1);
}
