import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../http/api-error.js';
import { TokenService, type DeviceIdentity } from './token.service.js';

type AuthedRequest = Request & { device?: DeviceIdentity };

/** The bearer token of an HTTP request, when there is one. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/** Requires a valid access token of a device that was not removed. */
@Injectable()
export class DeviceAuthGuard implements CanActivate {
  constructor(private readonly tokens: TokenService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new ApiError('UNAUTHENTICATED', 'an Authorization: Bearer access token is required');
    req.device = await this.tokens.verifyAccess(token);
    return true;
  }
}

export const CurrentDevice = createParamDecorator((_: unknown, ctx: ExecutionContext): DeviceIdentity => {
  const device = ctx.switchToHttp().getRequest<AuthedRequest>().device;
  if (!device) throw new ApiError('UNAUTHENTICATED', 'not authenticated');
  return device;
});
