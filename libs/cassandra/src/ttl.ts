/**
 * The value for a `USING TTL ?` bind marker: whole seconds, or 0 for "no TTL" (CQL's meaning of TTL 0, and
 * none of our tables sets a default_time_to_live it would override). One statement text serves both
 * cases, so the driver prepares it once (docs/ARCHITECTURE.md, "Cassandra statements").
 */
export const ttlOrNone = (ttlSeconds: number | undefined): number =>
  ttlSeconds && ttlSeconds > 0 ? Math.floor(ttlSeconds) : 0;
