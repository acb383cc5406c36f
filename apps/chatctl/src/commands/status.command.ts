import { parseArgs } from 'node:util';
import { systemStatus } from '#libs/nats';
import { withNats } from '../cli/nats-context.js';
import { renderTable } from '../cli/table.js';

export const statusUsage = `chatctl status [--json]
  streams (messages, bytes), every consumer (pending, ack pending), each projection's lag in events and
  seconds (age of its oldest unacknowledged event)`;

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(1)} ${units[u]}`;
}

export async function runStatus(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false } },
    strict: true,
  });
  const status = await withNats('status', (client) => systemStatus(client.jsm, client.topology));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  const out = [
    'STREAMS',
    renderTable(
      ['stream', 'messages', 'bytes', 'first seq', 'last seq', 'consumers'],
      status.streams.map((s) =>
        s.exists
          ? [s.stream, s.messages, bytes(s.bytes), s.firstSeq, s.lastSeq, s.consumers]
          : [s.stream, 'missing', '-', '-', '-', '-'],
      ),
    ),
    '',
    'CONSUMERS',
    renderTable(
      ['stream', 'consumer', 'pending', 'ack pending', 'redelivered', 'ack floor'],
      status.consumers.map((c) => [
        c.stream,
        c.consumer,
        c.numPending,
        c.numAckPending,
        c.numRedelivered,
        c.ackFloor,
      ]),
    ),
    '',
    'PROJECTIONS',
    renderTable(
      ['projection', 'streams', 'lag events', 'lag seconds'],
      status.projections.map((p) => [p.projection, p.streams, p.lagEvents, p.lagSeconds]),
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
