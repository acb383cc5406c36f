import assert from 'node:assert/strict';
import type { InboxMessage } from '#libs/protocol';
import { eventually } from '../support/app-process.js';
import type { TestDevice } from '../support/chat-users.js';

/** One conversation of the steady traffic: who sends, and every device that must receive. */
export interface Lane {
  readonly name: string;
  readonly conversationId: string;
  readonly sender: TestDevice;
  /** Every device of the other members. */
  readonly recipients: readonly TestDevice[];
  /** Groups: the sender's delivered receipts are the aggregate ones (`allMembers`). */
  readonly group: boolean;
  /** False for a lane whose recipient never connects (nothing acknowledges, so no receipt comes). */
  readonly receipts?: boolean;
}

interface Acked {
  readonly clientMessageId: string;
  readonly messageId: string;
}

interface Arrival {
  readonly message: InboxMessage;
  readonly at: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Steady traffic through the SDK on a few lanes (a 1:1 chat and a group), one send at a time per lane,
 * and the ledger that judges it after a fault: every message acknowledged to its sender (the SENT
 * result) reached every recipient device exactly once after the SDK's de-duplication, in send order
 * with `seq` gap-free from 1, and the sender holds a delivered receipt for each. A send that fails (the
 * fault) is sent again with the same clientMessageId until it is acknowledged: the server must make
 * that idempotent, and the ledger would see a second message otherwise.
 */
export class TrafficLedger {
  private readonly acked = new Map<string, Acked[]>();
  private readonly arrivals = new Map<TestDevice, Arrival[]>();
  private readonly errors: string[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private faultAt?: number;

  constructor(
    private readonly lanes: readonly Lane[],
    private readonly intervalMs = 40,
  ) {
    for (const lane of lanes) {
      this.acked.set(lane.name, []);
      for (const d of lane.recipients) {
        if (this.arrivals.has(d)) continue;
        const list: Arrival[] = [];
        this.arrivals.set(d, list);
        d.chat.on('message', (m) => list.push({ message: m, at: Date.now() }));
      }
    }
  }

  start(): void {
    this.running = true;
    this.loops = this.lanes.map((lane) => this.drive(lane));
  }

  private async drive(lane: Lane): Promise<void> {
    for (let i = 0; this.running; i++) {
      const clientMessageId = `${lane.name}-${i}`;
      this.sentAt.set(clientMessageId, Date.now());
      const giveUpAt = Date.now() + 60_000;
      for (let attempt = 1; ; attempt++) {
        try {
          const r = await lane.sender.chat.send(lane.conversationId, `${lane.name} ${i}`, {
            clientMessageId,
          });
          this.acked.get(lane.name)!.push({ clientMessageId, messageId: r.messageId });
          break;
        } catch (err) {
          // The fault: send the same message again (same clientMessageId) until it is taken.
          this.errors.push(`${lane.name} #${i} attempt ${attempt}: ${(err as Error).message}`);
          if (Date.now() > giveUpAt) {
            this.running = false;
            throw new Error(`${lane.name}: message ${i} not acknowledged within 60 s`, { cause: err });
          }
          await sleep(100);
        }
      }
      await sleep(this.intervalMs);
    }
  }

  /** Marks the fault's moment; recovery is measured from here. */
  fault(): void {
    this.faultAt = Date.now();
  }

  /** Messages acknowledged so far, over all lanes. */
  get ackedCount(): number {
    return [...this.acked.values()].reduce((n, l) => n + l.length, 0);
  }

  /**
   * Waits until `count` more messages were acknowledged, at least two on every lane (traffic flows on
   * each path: a lane's second acknowledgement is of a message first sent after this call, which a
   * fault's recovery is measured by; one lane's stream may be stuck while another flows).
   */
  async flowing(count = 10, timeoutMs = 20_000): Promise<void> {
    const target = this.ackedCount + count;
    const from = new Map([...this.acked].map(([lane, acks]) => [lane, acks.length]));
    const more = (lane: string): number => this.acked.get(lane)!.length - from.get(lane)!;
    await eventually(
      async () => this.ackedCount >= target && [...from.keys()].every((lane) => more(lane) >= 2),
      timeoutMs,
      `${count} more messages acknowledged, two on every lane`,
    ).catch((err: Error) => {
      const lanes = [...from.keys()].map((lane) => `${lane} +${more(lane)}`);
      throw new Error(
        `${err.message} (${lanes.join(', ')}); last send errors: ${this.errors.slice(-3).join(' | ')}`,
      );
    });
  }

  /** Stops sending; waits for sends in flight (retried until acknowledged). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /**
   * Milliseconds from the fault until every recipient device received, on every lane, a message
   * acknowledged after the fault: the system delivers again, end to end, on every path the traffic uses.
   */
  recoveryMs(): number {
    const faultAt = this.faultAt;
    assert.ok(faultAt !== undefined, 'fault() was never called');
    let worst = 0;
    for (const lane of this.lanes) {
      const postFault = new Set(
        this.acked
          .get(lane.name)!
          .filter((a) => (this.sentAt.get(a.clientMessageId) ?? 0) >= faultAt)
          .map((a) => a.messageId),
      );
      for (const device of lane.recipients) {
        const first = this.arrivals.get(device)!.find((a) => postFault.has(a.message.messageId));
        assert.ok(first, `${lane.name}: ${device.deviceId} received nothing sent after the fault`);
        worst = Math.max(worst, first.at - faultAt);
      }
    }
    return worst;
  }

  /** When each message's first send attempt started. */
  private readonly sentAt = new Map<string, number>();

  /** The ledger's verdict; throws with what is wrong. Waits up to timeoutMs for deliveries to settle. */
  async verify(timeoutMs = 30_000): Promise<{ messages: number; retriedSends: number }> {
    for (const lane of this.lanes) {
      const acked = this.acked.get(lane.name)!;
      assert.equal(
        new Set(acked.map((a) => a.messageId)).size,
        acked.length,
        `${lane.name}: one message per send`,
      );
      const ids = new Set(acked.map((a) => a.messageId));
      for (const device of lane.recipients) {
        await eventually(
          async () => device.of(lane.conversationId).filter((m) => ids.has(m.messageId)).length >= ids.size,
          timeoutMs,
          `${lane.name}: every acknowledged message on ${device.deviceId}`,
        ).catch((err: Error) => {
          const have = new Set(device.of(lane.conversationId).map((m) => m.messageId));
          throw new Error(
            `${err.message}; missing ${this.describe(
              lane,
              acked.filter((a) => !have.has(a.messageId)),
            )}`,
          );
        });
        const all = device.of(lane.conversationId);
        assert.equal(
          new Set(all.map((m) => m.messageId)).size,
          all.length,
          `${lane.name}: exactly once on ${device.deviceId}`,
        );
        // A group also holds its system messages (created): judge the lane's own messages. One send at a
        // time per lane: the log holds them in send order, so their seq runs on by one in that order.
        const got = all.filter((m) => ids.has(m.messageId));
        const first = got[0]?.seq ?? 1;
        assert.deepEqual(
          got.map((m) => [m.seq, m.messageId]),
          acked.map((a, i) => [first + i, a.messageId]),
          `${lane.name}: in order, seq gap-free, nothing missing, on ${device.deviceId}`,
        );
        assert.ok(lane.group || first === 1, `${lane.name}: seq starts at 1`);
      }
      if (lane.receipts === false) continue;
      await eventually(
        async () => this.deliveredReceipts(lane).size >= ids.size,
        timeoutMs,
        `${lane.name}: a delivered receipt for every message at the sender`,
      ).catch((err: Error) => {
        const have = this.deliveredReceipts(lane);
        throw new Error(
          `${err.message}; without ${this.describe(
            lane,
            acked.filter((a) => !have.has(a.messageId)),
          )}`,
        );
      });
    }
    return { messages: this.ackedCount, retriedSends: this.errors.length };
  }

  /** Which messages (their index in the lane, and when they were sent relative to the fault). */
  private describe(lane: Lane, missing: readonly Acked[]): string {
    const all = this.acked.get(lane.name)!;
    const at = (a: Acked): string =>
      `#${all.indexOf(a)}@${(this.sentAt.get(a.clientMessageId) ?? 0) - (this.faultAt ?? 0)}ms`;
    return `${missing.length} of ${all.length}: ${missing.slice(0, 12).map(at).join(' ')}`;
  }

  /** Message ids the sender holds a delivered receipt for (from every recipient, or the group aggregate). */
  private deliveredReceipts(lane: Lane): Set<string> {
    const acked = this.acked.get(lane.name)!;
    const position = new Map(acked.map((a, i) => [a.messageId, i + 1]));
    const receipts = lane.sender.receipts.filter(
      (r) =>
        r.conversationId === lane.conversationId && r.status === 'delivered' && (!lane.group || r.allMembers),
    );
    const perUser = new Map<string, Set<string>>();
    for (const r of receipts) {
      const set = perUser.get(r.userId) ?? new Set<string>();
      perUser.set(r.userId, set);
      for (const id of r.messageIds ?? []) set.add(id);
      const upTo = r.upToMessageId ? position.get(r.upToMessageId) : undefined;
      if (upTo !== undefined) for (const a of acked.slice(0, upTo)) set.add(a.messageId);
    }
    if (lane.group) return new Set([...perUser.values()].flatMap((s) => [...s]));
    // 1:1: every recipient user's receipts must cover the message.
    const users = new Set(lane.recipients.map((d) => d.userId));
    return new Set(
      acked.map((a) => a.messageId).filter((id) => [...users].every((u) => perUser.get(u)?.has(id))),
    );
  }

  /** The acknowledged messages of a lane, in send order. */
  messageIds(lane: string): string[] {
    return (this.acked.get(lane) ?? []).map((a) => a.messageId);
  }

  /** Why sends were retried (for the report of a case). */
  get retries(): readonly string[] {
    return this.errors;
  }
}
