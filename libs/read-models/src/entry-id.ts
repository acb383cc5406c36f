/**
 * Inbox entry ids and device cursors are positions in the log: (stream partition, stream sequence).
 * Entry id `3:1042`; a cursor lists a floor per partition, `0:981,3:1042`: the device has acknowledged
 * every entry of that partition at or below it (entries above it may be acknowledged too, or not).
 * Clients treat both as opaque strings.
 */
export interface LogPosition {
  readonly partition: number;
  readonly seq: number;
}

export function entryId(p: LogPosition): string {
  return `${p.partition}:${p.seq}`;
}

export function parseEntryId(id: string): LogPosition | undefined {
  const m = /^(\d{1,2}):(\d{1,15})$/.exec(id);
  return m ? { partition: Number(m[1]), seq: Number(m[2]) } : undefined;
}

export type Cursor = ReadonlyMap<number, number>;

export function encodeCursor(cursor: Cursor): string {
  return [...cursor.entries()]
    .sort(([a], [b]) => a - b)
    .map(([p, s]) => `${p}:${s}`)
    .join(',');
}

/** undefined when malformed; an empty string is the empty cursor. */
export function parseCursor(text: string): Cursor | undefined {
  const out = new Map<number, number>();
  if (text === '') return out;
  for (const part of text.split(',')) {
    const pos = parseEntryId(part);
    if (!pos) return undefined;
    out.set(pos.partition, Math.max(out.get(pos.partition) ?? 0, pos.seq));
  }
  return out;
}

/** The cursor with each given partition's floor raised to `floors`' (a floor never goes down). */
export function raiseCursor(cursor: Cursor, floors: ReadonlyMap<number, number>): Cursor {
  const out = new Map(cursor);
  for (const [p, floor] of floors) out.set(p, Math.max(out.get(p) ?? 0, floor));
  return out;
}
