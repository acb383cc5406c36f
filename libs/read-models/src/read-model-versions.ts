import type { CqlClient } from '#libs/cassandra';

/** Read models that `chatctl rebuild` can rebuild into a new version. */
export type VersionedProjection = 'users' | 'conversations';

/**
 * The version a store uses: the one readers are switched to (ReadModelVersions, cached), a fixed one
 * (what a rebuild writes into, or what one projector instance is pinned to), or none (version 1).
 */
export type VersionSource = ReadModelVersions | number | undefined;

export function versionOf(source: VersionSource, projection: VersionedProjection): Promise<number> | number {
  if (source === undefined) return 1;
  if (typeof source === 'number') return source;
  return source.version(projection);
}

/** Cassandra's "unconfigured table": a keyspace migrated before 005 has no versions table. */
const INVALID_QUERY = 0x2200;

/**
 * A read model's row: the version readers use and, while `chatctl rebuild` hands over from one version
 * to another, a version the live projector also writes (without delivering anything) so that readers
 * find the same data in both whichever of them they read.
 */
export interface WrittenVersions {
  readonly version: number;
  readonly alsoWritten?: number;
}

/**
 * The versions of each read model from `read_model_versions`, cached for `refreshMs` so readers and the
 * projector follow a switch within that time without a query per statement.
 */
export class ReadModelVersions {
  /**
   * How long a rebuild waits for every process to have followed a change of the row: two refreshes,
   * plus slack for a read of the row that is slow on a busy node (the cache counts from its answer).
   */
  get followMs(): number {
    return this.refreshMs * 2 + 5000;
  }

  private readonly cache = new Map<VersionedProjection, { row: WrittenVersions; at: number }>();
  /** One read at a time per projection when the cache expires, however many statements wait on it. */
  private readonly reading = new Map<VersionedProjection, Promise<WrittenVersions>>();

  constructor(
    private readonly cql: CqlClient,
    readonly refreshMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  async version(projection: VersionedProjection): Promise<number> {
    return (await this.written(projection)).version;
  }

  /** Both versions of the row at once (one cache entry, so the projector never sees half a switch). */
  async written(projection: VersionedProjection): Promise<WrittenVersions> {
    const hit = this.cache.get(projection);
    if (hit && this.now() - hit.at < this.refreshMs) return hit.row;
    let pending = this.reading.get(projection);
    if (!pending) {
      pending = this.readRow(projection)
        .then((row) => {
          this.cache.set(projection, { row, at: this.now() });
          return row;
        })
        .finally(() => this.reading.delete(projection));
      this.reading.set(projection, pending);
    }
    return pending;
  }

  /** Uncached: the version the row says now. */
  async read(projection: VersionedProjection): Promise<number> {
    return (await this.readRow(projection)).version;
  }

  /** Uncached: what the row says now. */
  async readRow(projection: VersionedProjection): Promise<WrittenVersions> {
    try {
      const row = (
        await this.cql.execute('SELECT * FROM read_model_versions WHERE projection = ?', [projection], {
          prepare: true,
        })
      ).first();
      const also = row?.get('also_written') as number | null | undefined;
      return {
        version: (row?.get('version') as number | null | undefined) ?? 1,
        ...(typeof also === 'number' ? { alsoWritten: also } : {}),
      };
    } catch (err) {
      if (err && typeof err === 'object' && 'code' in err && err.code === INVALID_QUERY)
        return { version: 1 };
      throw err;
    }
  }

  /** Switches readers to `version`; `alsoWritten` keeps the projector writing another one meanwhile. */
  async switchTo(
    projection: VersionedProjection,
    version: number,
    by: string,
    at: Date,
    alsoWritten?: number,
  ): Promise<void> {
    await this.cql.execute(
      'INSERT INTO read_model_versions (projection, version, switched_at, switched_by, also_written) VALUES (?, ?, ?, ?, ?)',
      [projection, version, at, by, alsoWritten ?? null],
      { prepare: true },
    );
    this.cache.delete(projection);
  }

  /** Has the live projector also write `version` (undefined: stop), readers staying where they are. */
  async alsoWrite(projection: VersionedProjection, version: number | undefined): Promise<void> {
    await this.cql.execute(
      'UPDATE read_model_versions SET also_written = ? WHERE projection = ?',
      [version ?? null, projection],
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
