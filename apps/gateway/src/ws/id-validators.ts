import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isClientMessageId, isMessageId } from '#libs/protocol';

/** The one rule for a message id in any request: canonical decimal within the signed 64-bit range. */
export function IsMessageId(options: ValidationOptions = {}): PropertyDecorator {
  return ValidateBy(
    { name: 'isMessageId', validator: { validate: (v: unknown) => isMessageId(v) } },
    { message: 'must be a message id: a decimal string without leading zeros, at most 2^63-1', ...options },
  );
}

/** A client's idempotency key for a send: 1-64 printable characters, no whitespace at the ends. */
export function IsClientMessageId(options: ValidationOptions = {}): PropertyDecorator {
  return ValidateBy(
    { name: 'isClientMessageId', validator: { validate: (v: unknown) => isClientMessageId(v) } },
    {
      message: 'must be 1-64 printable characters without control characters or whitespace at the ends',
      ...options,
    },
  );
}
