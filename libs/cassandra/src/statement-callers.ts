/**
 * A stable caller name for a statement text: its verb and table (`select conversations`,
 * `insert inbox_by_device`, `update devices`). The text is what the driver's request tracker sees; the
 * verb and table name the store method that sent it (each store owns its tables) without walking the
 * stack or asking every call site for a label. Computed once per distinct text (StatementCounts caches).
 */
const TABLE_AFTER: Readonly<Record<string, RegExp>> = {
  select: /\bfrom\s+([\w."]+)/i,
  insert: /^\s*insert\s+into\s+([\w."]+)/i,
  update: /^\s*update\s+([\w."]+)/i,
  delete: /\bfrom\s+([\w."]+)/i,
  truncate: /^\s*truncate\s+(?:table\s+)?([\w."]+)/i,
};

export function statementCaller(text: string): string {
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase();
  if (!verb) return 'other';
  const pattern = TABLE_AFTER[verb];
  if (!pattern) return verb;
  const table = pattern.exec(text)?.[1];
  return table ? `${verb} ${table.replace(/"/g, '').replace(/^\w+\./, '')}` : verb;
}
