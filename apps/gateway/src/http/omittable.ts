import { ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * An optional field of a frame or request: it may be left out, and when it is present every other rule
 * of the field applies, so `null` is refused like any other wrong value (docs/protocol.md, "Optional
 * fields"). It replaces class-validator's @IsOptional, which also skips every rule for `null` and so let
 * a null reach handlers typed "a value or absent" (INTERNAL instead of VALIDATION_FAILED).
 */
export const IsOmittable = (options?: ValidationOptions): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined, options);
