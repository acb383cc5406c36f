import { connectRawDevices } from '../../test/support/raw-device.js';
import { signUpMany, startLoadStack } from '../support/load-stack.js';
import { progress } from '../support/report.js';
import { Latencies, round } from '../support/stats.js';

export interface GroupFanoutSettings {
  /** Group sizes (creator included); one group per size over the same signed-up users. */
  readonly members: readonly number[];
  readonly messages: number;
  readonly gateways: number;
  /** Member devices acknowledge what they get (each message then brings one MessageDelivered per member). */
  readonly ack: boolean;
}

/**
 * Workload 5: the time from send until EVERY member's device holds the message, messages sent one after
 * another by the creator of a group whose members are all online (spread over the gateways). Member
 * devices are bare sockets that count every frame before client-side de-duplication, so the verdict
 * "every member exactly once" is checked against what the server really sent; the largest group's
 * extra users also show that a non-member receives nothing.
 */
export async function groupFanout(o: GroupFanoutSettings): Promise<{
  rows: Array<Record<string, number | string>>;
  ok: boolean;
}> {
  const stack = await startLoadStack(o.gateways);
  try {
    const largest = Math.max(...o.members);
    const users = await signUpMany(stack, largest, 48);
    const [creator, ...others] = users;
    const urls = stack.wsUrls;
    progress(`  connecting ${others.length} member devices over ${urls.length} gateway(s)...`);
    const devices = await connectRawDevices(
      others.map((u, i) => ({ url: urls[i % urls.length]!, accessToken: u.tokens.accessToken })),
      { ack: o.ack },
    );
    const sender = await creator!.connect();
    const rows: Array<Record<string, number | string>> = [];
    let ok = true;
    try {
      for (const size of o.members) {
        const members = devices.slice(0, size - 1);
        const outsiders = devices.slice(size - 1);
        const { conversationId } = await sender.createGroup(
          `bench ${size}`,
          others.slice(0, size - 1).map((u) => u.userId),
        );
        progress(`  group of ${size}: ${o.messages} messages, one after another...`);
        const ids: string[] = [];
        const timeOne = async (text: string): Promise<number> => {
          const started = performance.now();
          const { messageId } = await sender.send(conversationId, text);
          ids.push(messageId);
          await Promise.all(members.map((d) => d.waitFor(messageId, 120_000)));
          return Math.max(...members.map((d) => d.arrivals.get(messageId)!)) - started;
        };
        await timeOne('warm-up');
        const latencies = new Latencies();
        for (let i = 0; i < o.messages; i++) latencies.add(await timeOne(`message ${i}`));
        // Late duplicates would arrive after the last member's first copy: give them a moment.
        await new Promise((r) => setTimeout(r, 500));
        const copies = members.flatMap((d) => ids.map((id) => d.counts.get(id) ?? 0));
        const duplicates = copies.filter((c) => c > 1).length;
        const missing = copies.filter((c) => c === 0).length;
        const leaked = outsiders.filter((d) => ids.some((id) => d.has(id))).length;
        const sizeOk = duplicates === 0 && missing === 0 && leaked === 0;
        ok &&= sizeOk;
        const s = latencies.summary();
        rows.push({
          members: size,
          gateways: urls.length,
          acks: o.ack ? 'yes' : 'no',
          messages: o.messages,
          p50Ms: round(s.p50),
          p95Ms: round(s.p95),
          p99Ms: round(s.p99),
          maxMs: round(s.max),
          missing,
          duplicates,
          nonMembersReached: leaked,
          verdict: sizeOk ? 'PASS' : 'FAIL',
        });
      }
    } finally {
      for (const d of devices) d.close();
    }
    return { rows, ok };
  } finally {
    await stack.stop();
  }
}
