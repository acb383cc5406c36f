import { parseArgs } from 'node:util';
import type { ChatEvent, PersonalDataVault } from '#libs/events';
import { vaultOver, withCassandra } from '../cli/cassandra-context.js';
import { DeadLetterQueue, errorMessageOf, type DeadLetter } from '#libs/nats';
import { parseSeq } from '../cli/args.js';
import { withNats } from '../cli/nats-context.js';
import { renderTable } from '../cli/table.js';
import { UsageError } from '../cli/usage-error.js';

export const dlqUsage = `chatctl dlq list [--json] | show <seq> | retry <seq> | retry --all
  events a projection parked after its retries ran out (the <ns>_DLQ stream). retry republishes the
  event on chat.dlq.<durable>.retry: the owning projector applies it again at its original stream
  position, and parks it again if it still fails.`;

async function decoded(vault: PersonalDataVault<ChatEvent>, d: DeadLetter): Promise<unknown> {
  try {
    return await vault.decode(d.payload);
  } catch (err) {
    return { undecodable: errorMessageOf(err), raw: new TextDecoder().decode(d.payload) };
  }
}

function summary(d: DeadLetter): Record<string, unknown> {
  return { seq: d.seq, eventType: d.eventType, ...d.origin, retries: d.retries };
}

export async function runDlq(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, all: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [action, seqArg] = positionals;
  await withNats('dlq', async (client) => {
    const dlq = new DeadLetterQueue(client.js, client.jsm, client.topology);
    switch (action) {
      case 'list': {
        const all = await dlq.list();
        if (values.json) {
          process.stdout.write(`${JSON.stringify(all.map(summary), null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `${renderTable(
            ['dlq seq', 'parked at', 'durable', 'stream', 'seq', 'type', 'attempts', 'retries', 'error'],
            all.map((d) => [
              d.seq,
              d.origin.parkedAt,
              d.origin.durable,
              d.origin.stream,
              d.origin.sequence,
              d.eventType,
              d.origin.attempts,
              d.retries,
              d.origin.error.slice(0, 80),
            ]),
          )}\n`,
        );
        return;
      }
      case 'show': {
        const seq = parseSeq('seq', seqArg);
        if (seq === undefined) throw new UsageError('dlq show <seq>');
        const d = await dlq.get(seq);
        if (!d) throw new UsageError(`no parked event at DLQ sequence ${seq}`);
        process.stdout.write(
          `${JSON.stringify({ ...summary(d), event: await withCassandra('dlq', (cql) => decoded(vaultOver(cql), d)) }, null, 2)}\n`,
        );
        return;
      }
      case 'retry': {
        const seq = parseSeq('seq', seqArg);
        if (seq === undefined && !values.all) throw new UsageError('dlq retry <seq> | dlq retry --all');
        const all = await dlq.list();
        const chosen = values.all ? all.filter((d) => d.retries === 0) : all.filter((d) => d.seq === seq);
        if (!values.all && chosen.length === 0)
          throw new UsageError(`no parked event at DLQ sequence ${seq}`);
        for (const d of chosen) {
          const retrySeq = await dlq.retry(d);
          process.stderr.write(
            `dlq: retrying ${d.origin.stream} sequence ${d.origin.sequence} (DLQ ${d.seq}) for ${d.origin.durable} as DLQ ${retrySeq}\n`,
          );
        }
        process.stderr.write(`dlq: ${chosen.length} retried\n`);
        return;
      }
      default:
        throw new UsageError(`dlq: list | show <seq> | retry <seq|--all>`);
    }
  });
}
