import { createHmac } from 'node:crypto';

/**
 * A user's id is a keyed hash of their phone number: the same number always maps to the same account
 * (so two concurrent sign-ups meet on one subject and optimistic concurrency decides), and the number
 * itself never appears in a subject name.
 */
export function userIdForPhone(phone: string, secret: string): string {
  return `u${createHmac('sha256', secret).update(phone).digest('hex').slice(0, 24)}`;
}
