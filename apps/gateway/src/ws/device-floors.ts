import { raiseCursor, type Cursor, type InboxStore } from '#libs/read-models';
import type { ProjectionFloor } from '../conversations/projection-floor.js';
import type { DeviceConnection } from './device-connection.js';

/** A device's floor is saved at most this often while it acknowledges, and always when it leaves. */
export const FLOOR_SAVE_EVERY_MS = 1000;

interface FloorState {
  /** The floor as stored (undefined until first needed: one read per connection). */
  stored?: Cursor;
  /** Partitions where the device acknowledged something since the floor was last raised. */
  readonly dirty: Set<number>;
  savedAt: number;
  raising?: Promise<Cursor>;
}

/**
 * The floor of each connected device, per partition, kept in memory and written only when it rises and
 * at most once a second per device (and when the socket closes). It never passes an entry the device
 * was not sent: it rises only to just below the device's first entry still in its inbox (acknowledged
 * entries are deleted before) and never past the projection's gap-free floor (an entry not written yet
 * is above it). A floor saved late or not at all only makes a later sync start lower, never skip.
 */
export class DeviceFloors {
  private readonly states = new WeakMap<DeviceConnection, FloorState>();

  constructor(
    private readonly inbox: InboxStore,
    private readonly projection: ProjectionFloor,
  ) {}

  private state(conn: DeviceConnection): FloorState {
    let s = this.states.get(conn);
    if (!s) {
      s = { dirty: new Set(), savedAt: 0 };
      this.states.set(conn, s);
    }
    return s;
  }

  /** The device acknowledged entries of these partitions (their rows are deleted or being deleted). */
  touched(conn: DeviceConnection, partitions: Iterable<number>): void {
    const s = this.state(conn);
    for (const p of partitions) s.dirty.add(p);
  }

  /** Whether the device's floor is due to be raised now (or `force`: its socket closed). */
  due(conn: DeviceConnection, now: number, force = false): boolean {
    const s = this.states.get(conn);
    return s !== undefined && s.dirty.size > 0 && (force || now - s.savedAt >= FLOOR_SAVE_EVERY_MS);
  }

  /** The floor as this gateway knows it (read once per connection). */
  async current(conn: DeviceConnection): Promise<Cursor> {
    const s = this.state(conn);
    if (s.raising) return s.raising;
    s.stored ??= await this.inbox.cursor(conn.userId, conn.deviceId);
    return s.stored;
  }

  /**
   * Raises the floor of the dirty partitions as far as it can go, and saves what rose. The projection
   * floor is read first: an entry written after the inbox read below is above it.
   */
  raise(conn: DeviceConnection, now: number): Promise<Cursor> {
    const s = this.state(conn);
    if (s.raising) return s.raising;
    const partitions = [...s.dirty];
    s.dirty.clear();
    s.savedAt = now;
    const run = this.raiseNow(conn, s, partitions).finally(() => {
      s.raising = undefined;
    });
    s.raising = run;
    return run;
  }

  private async raiseNow(conn: DeviceConnection, s: FloorState, partitions: number[]): Promise<Cursor> {
    try {
      const projected = await Promise.all(partitions.map((p) => this.projection.of(p)));
      s.stored ??= await this.inbox.cursor(conn.userId, conn.deviceId);
      const stored = s.stored;
      const floors = await Promise.all(
        partitions.map(async (p, i) => {
          const from = stored.get(p) ?? 0;
          if (projected[i]! <= from) return [p, from] as const; // nothing new is written: no read
          const first = await this.inbox.firstPending(conn.userId, conn.deviceId, p, from);
          return [p, Math.min(projected[i]!, first === undefined ? Infinity : first - 1)] as const;
        }),
      );
      const raised = new Map(floors.filter(([p, floor]) => floor > (stored.get(p) ?? 0)));
      if (raised.size > 0) await this.inbox.saveCursor(conn.userId, conn.deviceId, raised);
      s.stored = raiseCursor(stored, raised);
      return s.stored;
    } catch (err) {
      for (const p of partitions) s.dirty.add(p); // tried again at the next flush
      throw err;
    }
  }
}
