import type { CqlClient } from '#libs/cassandra';

const P = { prepare: true } as const;
/** Statements per unlogged batch (one partition): well below Cassandra's batch size warning. */
const PER_BATCH = 100;

/** A user's contact set (contact_sets), and whether their client ever sent an address book. */
export interface ContactSet {
  readonly synced: boolean;
  readonly contactIds: ReadonlySet<string>;
}

/** The contact sets of migration 014, written by the projector from ContactsAdded / ContactsRemoved. */
export class ContactSetStore {
  constructor(private readonly cql: CqlClient) {}

  async add(userId: string, contactIds: readonly string[], seq: number): Promise<void> {
    await this.batches(
      contactIds.map((id) => ({
        query: 'INSERT INTO contact_sets (user_id, contact_id, synced) VALUES (?, ?, true) USING TIMESTAMP ?',
        params: [userId, id, seq],
      })),
    );
  }

  async remove(userId: string, contactIds: readonly string[], seq: number): Promise<void> {
    await this.batches([
      {
        query: 'UPDATE contact_sets USING TIMESTAMP ? SET synced = true WHERE user_id = ?',
        params: [seq, userId],
      },
      ...contactIds.map((id) => ({
        query: 'DELETE FROM contact_sets USING TIMESTAMP ? WHERE user_id = ? AND contact_id = ?',
        params: [seq, userId, id],
      })),
    ]);
  }

  /** A forgotten user's address book goes entirely. */
  async forget(userId: string, seq: number): Promise<void> {
    await this.cql.execute('DELETE FROM contact_sets USING TIMESTAMP ? WHERE user_id = ?', [seq, userId], P);
  }

  async get(userId: string): Promise<ContactSet> {
    const rs = await this.cql.execute(
      'SELECT contact_id, synced FROM contact_sets WHERE user_id = ?',
      [userId],
      { ...P, fetchSize: 5000 },
    );
    const contactIds = new Set<string>();
    let synced = false;
    for await (const row of rs) {
      if (row.get('synced') === true) synced = true;
      const id = row.get('contact_id') as string | null;
      if (id) contactIds.add(id);
    }
    return { synced, contactIds };
  }

  private async batches(queries: ReadonlyArray<{ query: string; params: unknown[] }>): Promise<void> {
    for (let i = 0; i < queries.length; i += PER_BATCH)
      await this.cql.batch(queries.slice(i, i + PER_BATCH), { ...P, logged: false });
  }
}
