import { Inject, Injectable } from '@nestjs/common';
import type { PresenceConfig } from '../../gateway.config.js';
import { PRESENCE_CONFIG } from '../../tokens.js';
import { EmptyDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';

/**
 * Keeps the device online. The frame router records activity for every frame (so any frame is a
 * heartbeat); this one exists for quiet devices, and tells them when to send the next.
 */
@Injectable()
export class HeartbeatHandler implements RequestHandler<'presence.heartbeat'> {
  readonly type = 'presence.heartbeat' as const;
  readonly dto = EmptyDto;

  constructor(@Inject(PRESENCE_CONFIG) private readonly config: Readonly<PresenceConfig>) {}

  async handle(): Promise<{ intervalMs: number }> {
    return { intervalMs: this.config.PRESENCE_HEARTBEAT_INTERVAL_MS };
  }
}
