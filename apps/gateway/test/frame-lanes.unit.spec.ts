import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FairQueue } from '../src/ws/fair-queue.js';
import { ACK_LANES, laneOf, SEND_LANES } from '../src/ws/frame-lanes.js';

/*
 * A socket's frames wait only behind the frames their order depends on: sends to one conversation
 * behind each other, acks and pings behind nothing else, the other frames in their arrival order.
 */
describe('the lanes of a socket', () => {
  test('sends keep one lane per conversation; acks and pings have lanes of their own', () => {
    const send = (conversationId: string): string => laneOf('message.send', { conversationId });
    assert.equal(send('d_a_b'), send('d_a_b'));
    const lanes = new Set(Array.from({ length: 64 }, (_, i) => send(`g${i}`)));
    assert.equal(lanes.size, SEND_LANES, 'conversations spread over every send lane, and no more');
    for (const l of lanes) assert.ok(!l.startsWith('ack') && !['ping', 'main'].includes(l));
    assert.match(laneOf('ack', { entries: [] }), /^ack\.\d$/);
    const ackLanes = new Set(
      Array.from({ length: 64 }, (_, i) => laneOf('ack', { entries: [`0:${i + 1}`] })),
    );
    assert.equal(ackLanes.size, ACK_LANES, 'acks of a socket spread over its ack lanes');
    assert.equal(laneOf('ping', {}), 'ping');
    assert.equal(laneOf('presence.heartbeat', {}), 'ping');
    assert.equal(laneOf('sync', {}), 'main');
    assert.equal(laneOf('message.read', {}), 'main');
    assert.equal(laneOf('message.send', null), 'main', 'a send without a conversation is refused in order');
  });

  test('a ping is answered while a slow send of the same socket runs; two sends of a lane keep their order', async () => {
    const queue = new FairQueue<string>(16, 100);
    const done: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const sendLane = laneOf('message.send', { conversationId: 'g1' });
    queue.push(sendLane, async () => {
      await slow;
      done.push('send 1');
    });
    let sent2!: () => void;
    const secondSent = new Promise<void>((r) => (sent2 = r));
    queue.push(sendLane, async () => {
      done.push('send 2');
      sent2();
    });
    let pinged!: () => void;
    const ping = new Promise<void>((r) => (pinged = r));
    queue.push(laneOf('ping', {}), async () => {
      done.push('ping');
      pinged();
    });
    await ping; // answered while the first send still waits for its release
    assert.deepEqual(done, ['ping'], 'the ping did not wait for the send');
    release();
    await secondSent;
    assert.deepEqual(done, ['ping', 'send 1', 'send 2']);
  });
});
