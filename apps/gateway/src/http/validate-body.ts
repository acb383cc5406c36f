import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ApiError } from './api-error.js';

function flatten(errors: ValidationError[], prefix = ''): Array<{ field: string; problem: string }> {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((problem) => ({ field, problem }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Validates untrusted input against a class-validator DTO: unknown fields are refused, and the error
 * lists every bad field. Used for HTTP bodies and WebSocket frames alike.
 */
export function validateDto<T extends object>(cls: new () => T, input: unknown): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ApiError('VALIDATION_FAILED', 'expected a JSON object', { fields: [] });
  }
  const dto = plainToInstance(cls, input);
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    // Not forbidUnknownValues: it refuses any object of a DTO without decorators (EmptyDto, so `ping`);
    // the input is known to be a plain object, and whitelist + forbidNonWhitelisted refuse every
    // property a DTO does not declare.
    forbidUnknownValues: false,
  });
  if (errors.length > 0) {
    const fields = flatten(errors);
    throw new ApiError('VALIDATION_FAILED', fields.map((f) => `${f.field}: ${f.problem}`).join('; '), {
      fields,
    });
  }
  return dto;
}
