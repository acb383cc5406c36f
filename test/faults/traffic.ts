import { ChatHttpClient } from '#libs/client-sdk';
import type { ChatStack } from '../support/chat-stack.js';
import { linkDevice, signUp, type TestDevice } from '../support/chat-users.js';
import { TrafficLedger, type Lane } from './ledger.js';

/** The people of one fault case, spread over the gateways, and the ledger over their two lanes. */
export interface Traffic {
  readonly ledger: TrafficLedger;
  readonly direct: Lane;
  readonly group: Lane;
  /** A member of the group who never connects, with an FCM token: the notifier pushes to it. */
  readonly offline?: TestDevice;
  readonly pushToken?: string;
}

/**
 * Alice writes to Bob (two devices, one on each gateway), Carol writes to a group of the three (and,
 * with `offline`, Erin writes to Dave, never connected, who gets pushes). Alice and Bob's second device are on the
 * first gateway, Bob's first device and Carol on the second (with one gateway, all on it).
 */
export async function startTraffic(
  stack: ChatStack,
  opts: { offline?: boolean; intervalMs?: number } = {},
): Promise<Traffic> {
  const [alice, bob, carol] = await Promise.all([signUp(stack), signUp(stack), signUp(stack)]);
  const bob2 = await linkDevice(stack, bob);
  const [dave, erin] = opts.offline ? await Promise.all([signUp(stack), signUp(stack)]) : [];
  const pushToken = dave ? `fault-${dave.deviceId}` : undefined;
  if (dave && pushToken) {
    await new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url }).registerPushToken(
      dave.tokens.accessToken,
      {
        provider: 'fcm',
        token: pushToken,
      },
    );
  }
  await Promise.all([
    alice.connect({ gateway: 0 }),
    bob.connect({ gateway: 1 }),
    bob2.connect({ gateway: 0 }),
    carol.connect({ gateway: 1 }),
    ...(erin ? [erin.connect({ gateway: 0 })] : []),
  ]);
  const { conversationId: directId } = await alice.chat.openDirect(bob.userId);
  const { conversationId: groupId } = await carol.chat.createGroup('fault case', [alice.userId, bob.userId]);
  const direct: Lane = {
    name: 'direct',
    conversationId: directId,
    sender: alice,
    recipients: [bob, bob2],
    group: false,
  };
  const group: Lane = {
    name: 'group',
    conversationId: groupId,
    sender: carol,
    recipients: [alice, bob, bob2],
    group: true,
  };
  // Dave never connects: no device receives, no receipt comes; the notifier's pushes are the check.
  const push: Lane | undefined =
    dave && erin
      ? {
          name: 'push',
          conversationId: (await erin.chat.openDirect(dave.userId)).conversationId,
          sender: erin,
          recipients: [],
          group: false,
          receipts: false,
        }
      : undefined;
  const ledger = new TrafficLedger([direct, group, ...(push ? [push] : [])], opts.intervalMs);
  ledger.start();
  return { ledger, direct, group, ...(dave ? { offline: dave } : {}), ...(pushToken ? { pushToken } : {}) };
}

/** One line of the recovery table, printed for the run's log (docs/operations.md keeps the figures). */
export function report(
  fault: string,
  recoveryMs: number,
  verdict: { messages: number; retriedSends: number },
): void {
  console.log(`fault-recovery ${JSON.stringify({ fault, recoveryMs, ...verdict })}`);
}
