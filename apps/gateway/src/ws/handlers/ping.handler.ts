import type { IQueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { CLOCK, type Clock } from '#libs/platform';
import { EmptyDto } from '../frames.dto.js';
import type { Requests } from '#libs/protocol';
import { FrameQuery, FrameHandler } from '../frame-handler.js';

export class PingQuery extends FrameQuery<EmptyDto, Requests['ping']['result']> {}

@FrameHandler(PingQuery, { ping: EmptyDto })
export class PingHandler implements IQueryHandler<PingQuery> {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async execute(): Promise<{ time: string }> {
    return { time: this.clock.now().toISOString() };
  }
}
