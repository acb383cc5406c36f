import { Injectable } from '@nestjs/common';
import type { DeviceConnection } from './device-connection.js';
import type { InboxBacklog } from './inbox-backlog.js';

/** The sync backlog of each connection, so an ack can make room for the next entries. */
@Injectable()
export class SyncSessions {
  private readonly backlogs = new WeakMap<DeviceConnection, InboxBacklog>();

  of(conn: DeviceConnection): InboxBacklog | undefined {
    return this.backlogs.get(conn);
  }

  set(conn: DeviceConnection, backlog: InboxBacklog): void {
    this.backlogs.set(conn, backlog);
  }

  delete(conn: DeviceConnection, backlog: InboxBacklog): void {
    if (this.backlogs.get(conn) === backlog) this.backlogs.delete(conn);
  }
}
