import { Injectable } from '@nestjs/common';
import type { UserEvent } from '#libs/events';
import { DeviceStore } from '#libs/read-models';
import { BoundedMap } from '#libs/platform';
import { UsersBarrier } from './users-barrier.js';

const USERS_MAX = 200_000;

/**
 * Each user's device ids, in memory. A user's list is read from the users model once (on first use);
 * from then on the USERS events the user projection applies in this process keep it exact, one user at
 * a time: no SELECT per member per message, and no clearing everything on any USERS event.
 *
 * The user projection tells this directory after its write (`applied`), so a read that starts later
 * sees the write; a read that was in flight across an event for its user is not kept (it may predate
 * the event). An event applied late (a redelivery after a crash, possibly older than what the model
 * holds) only drops the user's list: the model, stamped with stream sequences, is the judge.
 *
 * A user whose devices changed on the stream (`invalidate`) is read again only once the users
 * projection applied that change (UsersBarrier.reached): the fan-out waits for this user's change,
 * not for everything else the users projection has queued.
 */
@Injectable()
export class DeviceDirectory {
  /** Insertion order doubles as an LRU. */
  private readonly lists = new BoundedMap<string, Set<string>>(USERS_MAX);
  private readonly reading = new Map<string, { stale: boolean; read: Promise<readonly string[]> }>();

  constructor(
    private readonly devices: DeviceStore,
    private readonly barrier: UsersBarrier,
  ) {}

  async of(userId: string): Promise<readonly string[]> {
    const hit = this.lists.fresh(userId);
    if (hit) return [...hit];
    const change = this.unsettled.get(userId);
    if (change !== undefined) await this.barrier.reached(change); // if it lags, what is stored is read
    const running = this.reading.get(userId);
    if (running && !running.stale) return running.read;
    const entry = { stale: !this.settled(userId), read: this.load(userId) };
    this.reading.set(userId, entry);
    try {
      const ids = await entry.read;
      if (!entry.stale) this.keep(userId, new Set(ids));
      return ids;
    } finally {
      if (this.reading.get(userId) === entry) this.reading.delete(userId);
    }
  }

  /**
   * A device change another process applies (the holder of the users lease), seen on the USERS stream:
   * the list is dropped, and a list read before the users projection's floor passed `seq` is not kept
   * (it may predate the change's write).
   */
  invalidate(userId: string, seq: number): void {
    const running = this.reading.get(userId);
    if (running) running.stale = true;
    this.lists.delete(userId);
    if (seq > (this.unsettled.get(userId) ?? 0)) this.unsettled.set(userId, seq);
  }

  /** Per user, the latest device change seen on the stream and not known applied yet. */
  private readonly unsettled = new Map<string, number>();

  private settled(userId: string): boolean {
    const seq = this.unsettled.get(userId);
    if (seq === undefined) return true;
    if (this.barrier.known() < seq) return false;
    this.unsettled.delete(userId);
    return true;
  }

  private async load(userId: string): Promise<readonly string[]> {
    return (await this.devices.list(userId)).map((d) => d.deviceId);
  }

  private keep(userId: string, ids: Set<string>): void {
    this.lists.set(userId, ids);
  }

  /** A USERS event the users model now reflects; `late` for one redelivered out of order. */
  applied(event: UserEvent, late: boolean): void {
    const userId = event.data.userId;
    const running = this.reading.get(userId);
    if (running) running.stale = true;
    const list = this.lists.get(userId);
    if (late) {
      this.lists.delete(userId);
      return;
    }
    switch (event.type) {
      case 'DeviceAdded':
        list?.add(event.data.deviceId);
        return;
      case 'DeviceRemoved':
        list?.delete(event.data.deviceId);
        return;
      case 'UserForgotten':
        this.keep(userId, new Set());
        return;
      default:
        return; // tokens, settings, privacy: no device changes
    }
  }
}
