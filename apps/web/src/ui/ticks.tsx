import type { TickStatus } from '../chat/model.js';

const LABEL: Record<TickStatus, string> = {
  pending: 'Waiting to send',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
};

/** A clock while in the outbox, one tick when stored, two when delivered, two blue when read. */
export function Ticks({ status, group }: { status: TickStatus; group: boolean }) {
  const label =
    group && status === 'read'
      ? 'Read by all'
      : group && status === 'delivered'
        ? 'Delivered to all'
        : LABEL[status];
  const glyph = status === 'pending' ? '🕓' : status === 'sent' ? '✓' : status === 'failed' ? '⚠' : '✓✓';
  return (
    <span class={`ticks ticks-${status}`} data-status={status} role="img" aria-label={label} title={label}>
      {glyph}
    </span>
  );
}
