/**
 * Group fan-out latency: the time from send until every member's device holds the message.
 *
 *   npm run build && node dist/bench/group-fanout.bench.js --members 256 [--messages 30] [--gateways 2] [--no-ack]
 *
 * Starts an isolated ChatStack (its own streams, keyspace, keys) on the local servers, signs up N users
 * through the HTTP API, connects one socket per member, creates a group of all of them, then sends
 * messages one after another from the creator and times each until the last member device has it.
 * Member devices acknowledge what they get, as real clients do (so each message also brings one
 * MessageDelivered per member through the projector), unless --no-ack.
 * Prints a table and writes JSON to bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ChatStack } from '../test/support/chat-stack.js';
import { signUpMany } from '../test/support/chat-users.js';
import { connectRawDevices } from '../test/support/raw-device.js';
import { Latencies } from './support/stats.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '256' },
    messages: { type: 'string', default: '30' },
    gateways: { type: 'string', default: '2' },
    /** no-ack: devices never acknowledge (no MessageDelivered load): fan-out alone. */
    'no-ack': { type: 'boolean', default: false },
  },
});
const members = Number(values.members);
const messages = Number(values.messages);
const gateways = Number(values.gateways);
const ack = !values['no-ack'];
if (!Number.isInteger(members) || members < 2 || !Number.isInteger(messages) || messages < 1) {
  console.error('usage: --members <2..> --messages <1..> --gateways <1..>');
  process.exit(64);
}

async function main(): Promise<void> {
  const stack = await ChatStack.start({ gateways });
  try {
    const t0 = Date.now();
    const users = await signUpMany(stack, members, 48);
    const [creator, ...rest] = users;
    const urls = stack.wsUrls;
    const devices = await connectRawDevices(
      rest.map((u, i) => ({ url: urls[i % urls.length]!, accessToken: u.tokens.accessToken })),
      { ack },
    );
    await creator!.connect();
    const { conversationId } = await creator!.chat.createGroup(
      'bench',
      rest.map((u) => u.userId),
    );
    const setupMs = Date.now() - t0;

    const timeOne = async (text: string): Promise<number> => {
      const started = performance.now();
      const { messageId } = await creator!.chat.send(conversationId, text);
      await Promise.all(devices.map((d) => d.waitFor(messageId, 120_000)));
      return Math.max(...devices.map((d) => d.arrivals.get(messageId)!)) - started;
    };
    await timeOne('warm-up');
    const samples: number[] = [];
    for (let i = 0; i < messages; i++) samples.push(await timeOne(`message ${i}`));

    const latencies = new Latencies();
    samples.forEach((s) => latencies.add(s));
    const summary = latencies.summary();
    const result = {
      members,
      memberDevices: devices.length,
      gateways,
      messages,
      ack,
      p50Ms: Math.round(summary.p50),
      p99Ms: Math.round(summary.p99),
      maxMs: Math.round(summary.max),
      meanMs: Math.round(samples.reduce((a, b) => a + b, 0) / samples.length),
      setupMs,
      samplesMs: samples.map((s) => Math.round(s)),
      at: new Date().toISOString(),
    };
    console.table([
      {
        members: result.members,
        'member devices': result.memberDevices,
        gateways: result.gateways,
        messages: result.messages,
        acks: result.ack,
        'p50 ms': result.p50Ms,
        'p99 ms': result.p99Ms,
        'max ms': result.maxMs,
        'mean ms': result.meanMs,
      },
    ]);
    const dir = new URL('../../bench/results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL(
      `group-fanout-${members}${ack ? '' : '-noack'}-${result.at.replace(/[:.]/g, '-')}.json`,
      dir,
    );
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written ${file.pathname}`);
    for (const d of devices) d.close();
    await creator!.disconnect();
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
