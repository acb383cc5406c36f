import type { CqlClient } from '#libs/cassandra';
import { conversationsTables, type ConversationsTables } from './conversations-tables.js';
import { versionOf, type VersionSource } from './read-model-versions.js';
import type { GroupSettings } from '#libs/protocol';

export interface MemberRow {
  readonly userId: string;
  readonly role: 'admin' | 'member';
  /** The timeline seq of the system message announcing the join; 0 for founding members. */
  readonly joinedSeq: number;
}

export interface GroupInfoRow {
  readonly subject: string;
  readonly description?: string;
  readonly settings: GroupSettings;
}

/** Members of conversations with their joining position (conversation_members) and group info (group_info). */
export class GroupStore {
  /**
   * With `versions`, every statement uses the tables of the version readers are switched to (chatctl
   * rebuild conversations); with a fixed number, that version's tables (what a rebuild writes into).
   */
  constructor(
    private readonly cql: CqlClient,
    private readonly versions?: VersionSource,
  ) {}

  private async t(): Promise<ConversationsTables> {
    return conversationsTables(await versionOf(this.versions, 'conversations'));
  }

  async addMembers(conversationId: string, members: readonly MemberRow[]): Promise<void> {
    const t = await this.t();
    await Promise.all(
      members.map((m) =>
        this.cql.execute(
          `INSERT INTO ${t.conversationMembers} (conversation_id, user_id, role, joined_seq) VALUES (?, ?, ?, ?)`,
          [conversationId, m.userId, m.role, m.joinedSeq],
        ),
      ),
    );
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    const t = await this.t();
    await this.cql.execute(`DELETE FROM ${t.conversationMembers} WHERE conversation_id = ? AND user_id = ?`, [
      conversationId,
      userId,
    ]);
  }

  async setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<void> {
    const t = await this.t();
    await this.cql.execute(
      `UPDATE ${t.conversationMembers} SET role = ? WHERE conversation_id = ? AND user_id = ?`,
      [role, conversationId, userId],
    );
  }

  /** The seq a member's history starts at; undefined when the projector has not applied their join yet. */
  async joinedSeq(conversationId: string, userId: string): Promise<number | undefined> {
    const t = await this.t();
    const row = (
      await this.cql.execute(
        `SELECT joined_seq FROM ${t.conversationMembers} WHERE conversation_id = ? AND user_id = ?`,
        [conversationId, userId],
      )
    ).first();
    return row ? Number(row.get('joined_seq') ?? 0) : undefined;
  }

  async putInfo(conversationId: string, info: Partial<GroupInfoRow> & { createdBy?: string }): Promise<void> {
    const t = await this.t();
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown): void => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (info.subject !== undefined) set('subject', info.subject);
    if (info.description !== undefined) set('description', info.description);
    if (info.settings) {
      set('send_messages', info.settings.sendMessages);
      set('edit_info', info.settings.editInfo);
    }
    if (info.createdBy !== undefined) set('created_by', info.createdBy);
    if (sets.length === 0) return;
    await this.cql.execute(`UPDATE ${t.groupInfo} SET ${sets.join(', ')} WHERE conversation_id = ?`, [
      ...values,
      conversationId,
    ]);
  }

  async subjects(conversationIds: readonly string[]): Promise<Map<string, string>> {
    const t = await this.t();
    const out = new Map<string, string>();
    await Promise.all(
      conversationIds.map(async (id) => {
        const row = (
          await this.cql.execute(`SELECT subject FROM ${t.groupInfo} WHERE conversation_id = ?`, [id])
        ).first();
        const subject = row?.get('subject') as string | null | undefined;
        if (subject) out.set(id, subject);
      }),
    );
    return out;
  }
}
