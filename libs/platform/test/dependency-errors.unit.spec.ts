import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import cassandra from 'cassandra-driver';
import { DependencyUnavailableError, isDependencyUnavailable } from '#libs/platform';

/*
 * What the consumers retry for as long as it takes (a dependency down or slow) and what they park after
 * their attempts (the work itself fails), on the errors the real drivers raise.
 */
const { errors } = cassandra;
/** The driver raises its (in the typings abstract) DriverError itself for a closed socket. */
const DriverError = errors.DriverError as unknown as new (message: string) => Error;
const socketClosed = Object.assign(new DriverError('Socket was closed'), { isSocketError: true });
const unprepared = new errors.ResponseError(0x2500, 'Prepared query with ID 1f not found');

describe('isDependencyUnavailable', () => {
  test('a database or connection that is down or slow', () => {
    for (const err of [
      socketClosed,
      new errors.OperationTimedOutError('timed out', '127.0.0.1:9042'),
      new errors.ResponseError(0x1000, 'Cannot achieve consistency level LOCAL_QUORUM'),
      new errors.ResponseError(0x1100, 'Operation timed out - received only 0 responses'),
      new errors.NoHostAvailableError({ '127.0.0.1:9042': socketClosed }),
      new errors.NoHostAvailableError({ '127.0.0.1:9042': 'Host considered as DOWN' }),
      new errors.NoHostAvailableError({}),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      new DependencyUnavailableError('the projector has not applied it yet'),
    ])
      assert.equal(isDependencyUnavailable(err), true, err.message);
  });

  test('work that fails by itself', () => {
    for (const err of [
      unprepared,
      new errors.ResponseError(0x2200, 'unconfigured table users'),
      new errors.NoHostAvailableError({ '127.0.0.1:9042': unprepared }),
      new TypeError("Cannot read properties of undefined (reading 'seq')"),
      new Error('read model rejects c2'),
    ])
      assert.equal(isDependencyUnavailable(err), false, err.message);
    assert.equal(isDependencyUnavailable('not an error'), false);
  });
});
