import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import type { PresenceConfig } from '../../gateway.config.js';
import { PRESENCE_CONFIG } from '../../tokens.js';
import { EmptyDto } from '../frames.dto.js';
import type { Requests } from '#libs/protocol';
import { FrameCommand, FrameHandler } from '../frame-handler.js';

/**
 * Keeps the device online. The frame router records activity for every frame (so any frame is a
 * heartbeat); this one exists for quiet devices, and tells them when to send the next.
 */
export class HeartbeatCommand extends FrameCommand<EmptyDto, Requests['presence.heartbeat']['result']> {}

@FrameHandler(HeartbeatCommand, { 'presence.heartbeat': EmptyDto })
export class HeartbeatHandler implements ICommandHandler<HeartbeatCommand> {
  constructor(@Inject(PRESENCE_CONFIG) private readonly config: Readonly<PresenceConfig>) {}

  async execute(): Promise<{ intervalMs: number }> {
    return { intervalMs: this.config.PRESENCE_HEARTBEAT_INTERVAL_MS };
  }
}
