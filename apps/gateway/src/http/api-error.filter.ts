import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { PersonalDataForgottenError } from '#libs/events';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { isDependencyUnavailable, LOGGER } from '#libs/platform';
import { expectedFailure } from './api-error.js';

/** The one error handler of the HTTP API: stable codes out, internals logged and never shown. */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const expected = expectedFailure(exception);
    if (expected) {
      if (expected.code === 'RATE_LIMITED' && typeof expected.details?.retryAfterSeconds === 'number') {
        res.setHeader('Retry-After', String(expected.details.retryAfterSeconds));
      }
      res.status(expected.status).json({
        error: {
          code: expected.code,
          message: expected.message,
          ...(expected.details ? { details: expected.details } : {}),
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
