import { ChatHttpClient, E2eSession } from '#libs/client-sdk';
import { LibsignalProvider } from '../../libs/client-sdk/src/e2e/libsignal-provider.js';
import { linkDevice, type TestDevice } from '../../test/support/chat-users.js';
import { connectRawDevices, type RawDevice } from '../../test/support/raw-device.js';
import type { ChatStack } from '../../test/support/chat-stack.js';
import { signUpMany, startLoadStack } from '../support/load-stack.js';
import { progress } from '../support/report.js';
import { Latencies, round } from '../support/stats.js';

export interface E2eSendSettings {
  /** Members of the sender-key group (sender included). */
  readonly groupMembers: number;
  /** Devices of the recipient of the per-device envelopes case (1 primary + linked). */
  readonly recipientDevices: number;
  readonly messages: number;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Publishes keys for a device (a linked device under its primary's identity). */
async function publish(
  stack: ChatStack,
  d: TestDevice,
  identityOf?: LibsignalProvider,
): Promise<LibsignalProvider> {
  const provider = new LibsignalProvider({ userId: d.userId, deviceId: d.deviceId }, identityOf?.identity);
  const http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
  await http.publishKeys(d.tokens.accessToken, await provider.keysToPublish(2));
  return provider;
}

/**
 * Issue 17: the time from an E2E send until every recipient device holds its ciphertext. Two cases:
 * a group whose members all get ONE sender-key ciphertext (after the sender distributed its key once,
 * pairwise), and a user with several devices, each getting its own pairwise envelope (sessions set up in
 * a warm-up; the time includes encrypting once per device). Recipients are bare sockets counting every
 * frame, so "each device exactly once" is checked against what the server really sent.
 */
export async function e2eSend(
  o: E2eSendSettings,
): Promise<{ rows: Array<Record<string, number | string>>; ok: boolean }> {
  const stack = await startLoadStack(1, { E2E_BUNDLE_FETCHES_PER_HOUR: '1000000' });
  try {
    const users = await signUpMany(stack, o.groupMembers + 1, 32);
    const [sender, recipient, ...others] = users;
    const url = stack.wsUrls[0]!;
    const http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
    progress(`  publishing keys for ${users.length} users...`);
    const senderProvider = await publish(stack, sender!);
    const recipientPrimary = await publish(stack, recipient!);
    const members = others.slice(0, o.groupMembers - 1);
    for (const m of members) await publish(stack, m);
    const linked: TestDevice[] = [];
    for (let i = 1; i < o.recipientDevices; i++) {
      const d = await linkDevice(stack, recipient!);
      await publish(stack, d, recipientPrimary);
      linked.push(d);
    }
    const chat = await sender!.connect();
    const session = new E2eSession(chat, http, () => sender!.tokens.accessToken, senderProvider, {
      userId: sender!.userId,
      deviceId: sender!.deviceId,
    });
    const rows: Array<Record<string, number | string>> = [];
    let ok = true;
    const measure = async (
      label: string,
      devices: RawDevice[],
      send: (i: number) => Promise<string>,
      extra: Record<string, number | string>,
    ): Promise<void> => {
      const ids: string[] = [];
      const timeOne = async (i: number): Promise<number> => {
        const started = performance.now();
        const id = await send(i);
        ids.push(id);
        await Promise.all(devices.map((d) => d.waitFor(id, 120_000)));
        return Math.max(...devices.map((d) => d.arrivals.get(id)!)) - started;
      };
      const first = await timeOne(-1); // sets up sessions / distributes the sender key
      const latencies = new Latencies();
      for (let i = 0; i < o.messages; i++) latencies.add(await timeOne(i));
      await new Promise((r) => setTimeout(r, 300));
      const copies = devices.flatMap((d) => ids.map((id) => d.counts.get(id) ?? 0));
      const rowOk = copies.every((c) => c === 1);
      ok &&= rowOk;
      const s = latencies.summary();
      rows.push({
        case: label,
        ...extra,
        firstMs: round(first),
        messages: o.messages,
        p50Ms: round(s.p50),
        p95Ms: round(s.p95),
        maxMs: round(s.max),
        verdict: rowOk ? 'PASS' : 'FAIL',
      });
    };

    progress(`  group of ${o.groupMembers}: sender key distributed once, then one ciphertext per message...`);
    const groupDevices = await connectRawDevices(
      members.map((m) => ({ url, accessToken: m.tokens.accessToken })),
      { ack: true },
    );
    const { conversationId: group } = await chat.createGroup(
      'e2e bench',
      members.map((m) => m.userId),
    );
    // Every member device gets the distribution envelope and then the group ciphertext.
    await measure(
      'group, sender key',
      groupDevices,
      async (i) => (await session.sendGroup(group, utf8(`group message ${i}`))).messageId,
      { devices: groupDevices.length },
    );
    for (const d of groupDevices) d.close();

    progress(`  a user with ${o.recipientDevices} devices: one envelope per device...`);
    const recipientDevices = await connectRawDevices(
      [recipient!, ...linked].map((d) => ({ url, accessToken: d.tokens.accessToken })),
      { ack: true },
    );
    const { conversationId: direct } = await chat.openDirect(recipient!.userId);
    await measure(
      `direct, ${o.recipientDevices} recipient devices`,
      recipientDevices,
      async (i) => (await session.send(direct, utf8(`direct message ${i}`))).messageId,
      { devices: recipientDevices.length },
    );
    for (const d of recipientDevices) d.close();
    await sender!.disconnect();
    return { rows, ok };
  } finally {
    await stack.stop();
  }
}
