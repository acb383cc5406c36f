import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
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
  // A DTO without fields (e.g. ping) has no validation metadata, which forbidUnknownValues would refuse
  // outright: such a DTO accepts exactly the empty object.
  if (getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false).length === 0) {
    const fields = Object.keys(input).map((field) => ({ field, problem: `${field} is not expected here` }));
    if (fields.length > 0)
      throw new ApiError('VALIDATION_FAILED', fields.map((f) => `${f.field}: ${f.problem}`).join('; '), {
        fields,
      });
    return plainToInstance(cls, input);
  }
  const dto = plainToInstance(cls, input);
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  if (errors.length > 0) {
    const fields = flatten(errors);
    throw new ApiError('VALIDATION_FAILED', fields.map((f) => `${f.field}: ${f.problem}`).join('; '), {
      fields,
    });
  }
  return dto;
}
