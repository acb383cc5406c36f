/** A bounded set of recently seen ids: the oldest are forgotten first. */
export class SeenIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 200_000) {}

  /** True the first time an id is offered, false after. */
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
