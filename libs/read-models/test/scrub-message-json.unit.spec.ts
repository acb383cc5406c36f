import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scrubMessageJson } from '../src/forget/scrub-message-json.js';

describe('scrubbing a forgotten user out of stored message JSON', () => {
  test("a location message loses its point and shows the marker, as a replay of the user's sealed event does", () => {
    const json = JSON.stringify({
      senderUserId: 'ann',
      text: '',
      location: { latitude: 1, longitude: 2, name: 'home' },
    });
    assert.deepEqual(JSON.parse(scrubMessageJson(json, 'ann')!), {
      senderUserId: 'ann',
      text: '[forgotten]',
    });
    assert.equal(scrubMessageJson(json, 'bob'), undefined, "someone else's message stays");
  });

  test("an update entry of the user's (an edit, a live location's move) loses the new content", () => {
    const edit = JSON.stringify({ action: 'edited', userId: 'ann', messageId: '9', text: 'new words' });
    assert.equal(JSON.parse(scrubMessageJson(edit, 'ann')!).text, '[forgotten]');
    const move = JSON.stringify({ action: 'edited', userId: 'ann', location: { latitude: 1, longitude: 2 } });
    assert.equal(JSON.parse(scrubMessageJson(move, 'ann')!).location, undefined);
    const reaction = JSON.stringify({ action: 'reacted', userId: 'ann', emoji: '👍' });
    assert.equal(scrubMessageJson(reaction, 'ann'), undefined, 'nothing personal in a reaction');
  });
});
