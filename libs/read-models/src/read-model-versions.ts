import type { CqlClient } from '#libs/cassandra';

/** Read models that `chatctl rebuild` can rebuild into a new version. */
export type VersionedProjection = 'users';

/** Cassandra's "unconfigured table": a keyspace migrated before 005 has no versions table. */
const INVALID_QUERY = 0x2200;

/**
 * The version readers use for each read model, from `read_model_versions`, cached for `refreshMs` so
 * readers follow a switch within that time without a query per read.
 */
export class ReadModelVersions {
  private readonly cache = new Map<VersionedProjection, { version: number; at: number }>();

  constructor(
    private readonly cql: CqlClient,
    readonly refreshMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  async version(projection: VersionedProjection): Promise<number> {
    const hit = this.cache.get(projection);
    if (hit && this.now() - hit.at < this.refreshMs) return hit.version;
    const version = await this.read(projection);
    this.cache.set(projection, { version, at: this.now() });
    return version;
  }

  /** Uncached: what the row says now. */
  async read(projection: VersionedProjection): Promise<number> {
    try {
      const rs = await this.cql.execute(
        'SELECT version FROM read_model_versions WHERE projection = ?',
        [projection],
        {
          prepare: true,
        },
      );
      return (rs.first()?.get('version') as number | null | undefined) ?? 1;
    } catch (err) {
      if (err && typeof err === 'object' && 'code' in err && err.code === INVALID_QUERY) return 1;
      throw err;
    }
  }

  async switchTo(projection: VersionedProjection, version: number, by: string, at: Date): Promise<void> {
    await this.cql.execute(
      'INSERT INTO read_model_versions (projection, version, switched_at, switched_by) VALUES (?, ?, ?, ?)',
      [projection, version, at, by],
      { prepare: true },
    );
    this.cache.delete(projection);
  }
}

/** Table names of the users read model at one version (1: the tables of migration 002). */
export interface UsersTables {
  readonly users: string;
  readonly devices: string;
}

export function usersTables(version: number): UsersTables {
  return version <= 1
    ? { users: 'users', devices: 'devices_by_user' }
    : { users: `users_v${version}`, devices: `devices_by_user_v${version}` };
}

/** DDL of the users read model at a version: the same columns as migration 002 (a test checks it). */
export function usersTablesDdl(version: number): string[] {
  const t = usersTables(version);
  return [
    `CREATE TABLE IF NOT EXISTS ${t.users} (
  user_id text PRIMARY KEY,
  phone text,
  registered_at timestamp
)`,
    `CREATE TABLE IF NOT EXISTS ${t.devices} (
  user_id text,
  device_id text,
  kind text,
  name text,
  added_at timestamp,
  PRIMARY KEY ((user_id), device_id)
)`,
  ];
}
