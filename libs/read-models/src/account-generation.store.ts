import type { CqlClient } from '#libs/cassandra';

const P = { prepare: true } as const;
/** Partition keys per IN query. */
const PER_QUERY = 100;

/** Which generation a phone number's next (or current) account is (account_generations, migration 015). */
export class AccountGenerationStore {
  constructor(private readonly cql: CqlClient) {}

  /** Generation `deleted` of the number was deleted: its next account is deleted + 1. */
  async deleted(baseUserId: string, deleted: number, seq: number): Promise<void> {
    await this.cql.execute(
      'INSERT INTO account_generations (base_user_id, next_generation) VALUES (?, ?) USING TIMESTAMP ?',
      [baseUserId, deleted + 1, seq],
      P,
    );
  }

  /** The current generation of each base id (0 when none of its accounts was deleted). */
  async current(baseUserIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(baseUserIds.map((id) => [id, 0]));
    const unique = [...out.keys()];
    for (let i = 0; i < unique.length; i += PER_QUERY) {
      const rs = await this.cql.execute(
        'SELECT base_user_id, next_generation FROM account_generations WHERE base_user_id IN ?',
        [unique.slice(i, i + PER_QUERY)],
        P,
      );
      for (const r of rs.rows) out.set(r.get('base_user_id') as string, Number(r.get('next_generation')));
    }
    return out;
  }
}
