import type { RequestType } from '#libs/protocol';

/**
 * What a frame costs against its device's budget, in units of one ping. The price follows the work:
 * a sync reads and pushes a backlog, a 500-row list reads 500 rows and their groups, so a device that
 * floods dear frames runs out of budget as soon as one that floods pings. Sizes come from the frame's
 * own fields before validation (a bad value costs the base price, then fails validation).
 */
const BASE: Readonly<Record<RequestType, number>> = {
  ping: 1,
  'presence.heartbeat': 1,
  'typing.set': 1,
  sync: 20,
  'conversation.open_direct': 3,
  'message.send': 1,
  'message.reply_privately': 3,
  ack: 1,
  'message.read': 1,
  'message.info': 2,
  'history.get': 1,
  'conversations.list': 1,
  'conversation.get': 2,
  'group.create': 5,
  'group.add_members': 3,
  'group.remove_member': 2,
  'group.leave': 2,
  'group.promote': 2,
  'group.demote': 2,
  'group.update_info': 2,
  'group.update_settings': 2,
  'group.info': 2,
  'presence.subscribe': 1,
  'privacy.get': 1,
  'privacy.set': 2,
  'profile.set': 2,
  'profile.get': 1,
  'profile.changes': 3,
  // One timeline read of the message named, then one append.
  'message.edit': 2,
  'message.delete': 2,
  'message.react': 2,
  // Up to five sends and the source's timeline read.
  'message.forward': 6,
  // One load of the conversation's meta subject, then one append.
  'conversation.set_disappearing': 2,
  'conversation.archive': 1,
  'conversation.pin': 1,
  'message.star': 2,
  // One timeline read per starred message listed.
  'starred.list': 5,
  // The image's header is read and the object copied inside the store.
  'group.set_icon': 3,
  'block.add': 2,
  'block.remove': 2,
  'block.list': 1,
  'report.create': 5,
};

/** One more unit per this many rows or ids a frame asks for. */
const PER_UNIT = { rows: 25, ids: 50 } as const;

const size = (v: unknown, fallback: number, max: number): number =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? Math.min(v, max) : fallback;
const count = (v: unknown, max: number): number => (Array.isArray(v) ? Math.min(v.length, max) : 0);

/** The dearest frame; a device's burst must hold it (RATE_LIMIT_BURST is at least this). */
export const MAX_FRAME_COST = 25;

export function frameCost(type: RequestType, data: unknown): number {
  return Math.min(MAX_FRAME_COST, sizedCost(type, data));
}

function sizedCost(type: RequestType, data: unknown): number {
  const d = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const base = BASE[type];
  switch (type) {
    case 'conversations.list':
      return base + Math.ceil(size(d.limit, 100, 500) / PER_UNIT.rows); // 500 rows: 21
    case 'history.get':
      return base + Math.ceil(size(d.limit, 50, 100) / PER_UNIT.rows); // 100 rows: 5
    case 'ack':
      return base + Math.floor(count(d.entries, 500) / PER_UNIT.ids); // 500 entries: 11
    case 'presence.subscribe':
      return base + Math.floor(count(d.userIds, 256) / PER_UNIT.ids); // 256 users: 6
    case 'group.create':
      return base + Math.floor(count(d.members, 100_000) / PER_UNIT.ids);
    case 'group.add_members':
      return base + Math.floor(count(d.userIds, 100_000) / PER_UNIT.ids);
    case 'profile.get':
      return base + Math.ceil(count(d.userIds, 100) / PER_UNIT.rows); // 100 users: 5
    default:
      return base;
  }
}

/** Frames that make a conversation: limited per account per hour besides their cost. */
export const CREATES_CONVERSATION: ReadonlySet<RequestType> = new Set([
  'group.create',
  'conversation.open_direct',
  'message.reply_privately',
]);
