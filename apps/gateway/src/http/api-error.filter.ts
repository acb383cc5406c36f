import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { PersonalDataForgottenError } from '#libs/events';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { isDependencyUnavailable, LOGGER } from '#libs/platform';
import { ApiError } from './api-error.js';

/** The one error handler of the HTTP API: stable codes out, internals logged and never shown. */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof ApiError) {
      if (exception.code === 'RATE_LIMITED' && typeof exception.details?.retryAfterSeconds === 'number') {
        res.setHeader('Retry-After', String(exception.details.retryAfterSeconds));
      }
      res.status(exception.status).json({
        error: {
          code: exception.code,
          message: exception.message,
          ...(exception.details ? { details: exception.details } : {}),
        },
      });
      return;
    }
    if (exception instanceof PersonalDataForgottenError) {
      res.status(403).json({ error: { code: 'USER_FORGOTTEN', message: exception.message } });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code =
        status === 404
          ? 'NOT_FOUND'
          : status === 413
            ? 'VALIDATION_FAILED'
            : status < 500
              ? 'VALIDATION_FAILED'
              : 'INTERNAL';
      res
        .status(status)
        .json({ error: { code, message: status < 500 ? exception.message : 'internal error' } });
      return;
    }
    this.logger.error({ err: exception }, 'unhandled HTTP error');
    if (isDependencyUnavailable(exception)) {
      res.status(503).json({ error: { code: 'UNAVAILABLE', message: 'a dependency is unavailable; retry' } });
      return;
    }
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  }
}
