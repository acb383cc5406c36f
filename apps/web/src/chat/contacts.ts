/**
 * Who is who, as far as this browser knows: the phone numbers it looked up, by user id. The server
 * has no display names yet, so a person shows as their number, or a short form of their id.
 */
export class Contacts {
  private readonly phones: Map<string, string>;

  constructor(private readonly key: string) {
    let entries: Array<[string, string]> = [];
    try {
      const v: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
      if (Array.isArray(v))
        entries = v.filter((e): e is [string, string] => Array.isArray(e) && e.length === 2);
    } catch {
      // start empty
    }
    this.phones = new Map(entries);
  }

  remember(phone: string, userId: string): void {
    if (this.phones.get(userId) === phone) return;
    this.phones.set(userId, phone);
    localStorage.setItem(this.key, JSON.stringify([...this.phones]));
  }

  label(userId: string): string {
    return this.phones.get(userId) ?? `user-${userId.slice(0, 6)}`;
  }
}
