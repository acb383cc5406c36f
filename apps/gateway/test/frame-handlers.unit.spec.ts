import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REQUEST_TYPES } from '#libs/protocol';
import { loadCqrsHandlers } from '../src/cqrs-handlers.loader.js';
import { frameBindings, requireFrameHandlers } from '../src/ws/frame-handler.js';

describe('frame handlers found without a list', () => {
  test('loading the *.handler files binds every protocol frame type, and the boot check passes', async () => {
    const handlers = await loadCqrsHandlers();
    assert.deepEqual([...frameBindings.keys()].sort(), [...REQUEST_TYPES].sort());
    requireFrameHandlers(REQUEST_TYPES);
    assert.ok(handlers.some((h) => h.name === 'ChangeGroupHandler'));
    assert.ok(handlers.some((h) => h.name === 'PrivacyLearnerHandler')); // an event handler, outside ws/
    // Seven group frames, one table-driven handler.
    const groupChanges = [...frameBindings.values()].filter((b) => b.message.name === 'ChangeGroupCommand');
    assert.equal(groupChanges.length, 7);
  });

  test('a frame type without a handler is refused at boot, by name', () => {
    assert.throws(
      () => requireFrameHandlers([...REQUEST_TYPES, 'conversation.teleport']),
      /conversation\.teleport/,
    );
  });
});
