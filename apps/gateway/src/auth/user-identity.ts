import { createHmac } from 'node:crypto';

/**
 * A user's id is a keyed hash of their phone number: the same number always maps to the same account
 * (so two concurrent sign-ups meet on one subject and optimistic concurrency decides), and the number
 * itself never appears in a subject name. A number whose account was deleted signs up as a new account:
 * generation n > 0 hashes the number with its generation (generation 0, every account from before
 * deletions existed, keeps its id).
 */
export function userIdForPhone(phone: string, secret: string, generation = 0): string {
  const input = generation === 0 ? phone : `${phone}#${generation}`;
  return `u${createHmac('sha256', secret).update(input).digest('hex').slice(0, 24)}`;
}
