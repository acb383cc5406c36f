/**
 * One write as a store would send it, with the partition it lands in: a bulk writer (chatctl rebuild)
 * groups statements sharing `partition` into unlogged batches. Undefined `partition` means a partition
 * no other statement of the same run writes (one row per partition, such as messages_by_id).
 */
export interface KeyedStatement {
  readonly query: string;
  readonly params: unknown[];
  readonly partition?: string;
}
