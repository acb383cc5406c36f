/**
 * A Map that forgets its least recently written (or `fresh`-read) entry beyond a size: the processes'
 * in-memory caches (conversation rows, device lists, recent messages and entries).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  /** Writes the entry as the newest, forgetting the oldest if the map is full. */
  override set(key: K, value: V): this {
    if (this.has(key)) this.delete(key);
    else if (this.size >= this.limit) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }

  /** Reads the entry and makes it the newest, so what is in use stays. */
  fresh(key: K): V | undefined {
    const value = this.get(key);
    if (value !== undefined) this.set(key, value);
    return value;
  }
}
