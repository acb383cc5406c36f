import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { NatsClient } from '#libs/nats';
import { LiveSessions } from './live-sessions.js';

/**
 * Live frames reach this gateway over core NATS, at most once: those published while its connection to
 * NATS was down (a server restarted, a cluster node died and the client moved to another) are gone, and
 * nothing would bring them to a socket that stayed open, since entries come back only with a sync. So
 * when the connection comes back, every socket here is closed with "going away": each client reconnects
 * (to any gateway) and syncs from its floor, which holds whatever it missed. A projector's own break is
 * announced on the live subjects (LiveDeliveryBus.announceInterruptions) and handled the same way.
 */
@Injectable()
export class LiveFeedGaps implements OnApplicationBootstrap, OnModuleDestroy {
  private stopped = false;

  constructor(
    private readonly nats: NatsClient,
    private readonly sessions: LiveSessions,
  ) {}

  onApplicationBootstrap(): void {
    void this.watch();
  }

  private async watch(): Promise<void> {
    for await (const s of this.nats.nc.status()) {
      if (this.stopped) return;
      if (s.type === 'reconnect') this.sessions.interruptAll("this gateway's NATS connection came back");
    }
  }

  onModuleDestroy(): void {
    this.stopped = true;
  }
}
