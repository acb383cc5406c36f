import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '#libs/platform';
import { EmptyDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';

@Injectable()
export class PingHandler implements RequestHandler<'ping'> {
  readonly type = 'ping' as const;
  readonly dto = EmptyDto;

  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async handle(): Promise<{ time: string }> {
    return { time: this.clock.now().toISOString() };
  }
}
