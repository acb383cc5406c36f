/**
 * Table names of the conversations read model at one version (1: the tables of migrations 002-004):
 * timelines, client message ids, conversation state and lists, receipts, group tables and contacts
 * (migration 010). Inboxes,
 * cursors and media rows are delivery and lifecycle state, not part of it (docs/operations.md).
 */
export interface ConversationsTables {
  readonly conversations: string;
  readonly messagesByConversation: string;
  readonly messagesById: string;
  readonly clientMessages: string;
  readonly conversationsByUser: string;
  readonly messageStatus: string;
  readonly readMarkers: string;
  readonly conversationMembers: string;
  readonly groupInfo: string;
  readonly contactsByUser: string;
}

const BASE: ConversationsTables = {
  conversations: 'conversations',
  messagesByConversation: 'messages_by_conversation',
  messagesById: 'messages_by_id',
  clientMessages: 'client_messages',
  conversationsByUser: 'conversations_by_user',
  messageStatus: 'message_status',
  readMarkers: 'read_markers',
  conversationMembers: 'conversation_members',
  groupInfo: 'group_info',
  contactsByUser: 'contacts_by_user',
};

/** Names are computed once per version: stores ask for them on every statement. */
const byVersion = new Map<number, ConversationsTables>();

export function conversationsTables(version: number): ConversationsTables {
  const v = Math.max(1, version);
  let t = byVersion.get(v);
  if (!t) {
    t = Object.freeze(
      Object.fromEntries(
        Object.entries(BASE).map(([k, name]) => [k, v === 1 ? name : `${name}_v${v}`]),
      ) as unknown as ConversationsTables,
    );
    byVersion.set(v, t);
  }
  return t;
}

/**
 * DDL of the conversations read model at a version: the columns the migrations give version 1,
 * including those later migrations ALTERed in (a test compares both in Cassandra's schema tables).
 */
export function conversationsTablesDdl(version: number): string[] {
  const t = conversationsTables(version);
  return [
    `CREATE TABLE IF NOT EXISTS ${t.conversations} (
  conversation_id text PRIMARY KEY,
  kind text,
  members set<text>,
  created_by text,
  created_at timestamp,
  last_message_seq bigint,
  last_activity_at timestamp,
  applied_sequence bigint
)`,
    `CREATE TABLE IF NOT EXISTS ${t.messagesByConversation} (
  conversation_id text,
  bucket int,
  seq bigint,
  message_id bigint,
  sender_user_id text,
  sender_device_id text,
  client_message_id text,
  body text,
  reply_to bigint,
  sent_at timestamp,
  system text,
  mentions set<text>,
  quote text,
  media text,
  edited_at timestamp,
  deleted text,
  hidden_for set<text>,
  reactions map<text, text>,
  forward_count int,
  location text,
  withheld_from set<text>,
  expires_at timestamp,
  PRIMARY KEY ((conversation_id, bucket), seq)
) WITH CLUSTERING ORDER BY (seq DESC)`,
    `CREATE TABLE IF NOT EXISTS ${t.messagesById} (
  conversation_id text,
  message_id bigint,
  seq bigint,
  sender_user_id text,
  stream_seq bigint,
  PRIMARY KEY ((conversation_id, message_id))
)`,
    `CREATE TABLE IF NOT EXISTS ${t.clientMessages} (
  sender_user_id text,
  sender_device_id text,
  client_message_id text,
  conversation_id text,
  message_id bigint,
  sent_at timestamp,
  PRIMARY KEY ((sender_user_id, sender_device_id, client_message_id))
)`,
    `CREATE TABLE IF NOT EXISTS ${t.conversationsByUser} (
  user_id text,
  conversation_id text,
  kind text,
  members set<text>,
  last_activity_at timestamp,
  last_message text,
  last_message_seq bigint,
  read_up_to_seq bigint,
  last_mention_seq bigint,
  PRIMARY KEY ((user_id), conversation_id)
)`,
    `CREATE TABLE IF NOT EXISTS ${t.messageStatus} (
  conversation_id text,
  message_id bigint,
  user_id text,
  delivered_at timestamp,
  read_at timestamp,
  PRIMARY KEY ((conversation_id, message_id), user_id)
)`,
    `CREATE TABLE IF NOT EXISTS ${t.readMarkers} (
  conversation_id text,
  user_id text,
  seq bigint,
  read_at timestamp,
  PRIMARY KEY ((conversation_id, user_id), seq)
)`,
    `CREATE TABLE IF NOT EXISTS ${t.conversationMembers} (
  conversation_id text,
  user_id text,
  role text,
  joined_seq bigint,
  PRIMARY KEY ((conversation_id), user_id)
)`,
    `CREATE TABLE IF NOT EXISTS ${t.groupInfo} (
  conversation_id text PRIMARY KEY,
  subject text,
  description text,
  send_messages text,
  edit_info text,
  created_by text
)`,
    `CREATE TABLE IF NOT EXISTS ${t.contactsByUser} (
  user_id text,
  contact_id text,
  PRIMARY KEY ((user_id), contact_id)
)`,
  ];
}
