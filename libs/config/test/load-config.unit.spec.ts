import { describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import {
  CassandraConfig,
  ConfigError,
  configVariables,
  loadConfig,
  NatsConfig,
  ProcessConfig,
  processConfigFor,
  PublicHttpConfig,
  requiredVariables,
  S3Config,
} from '#libs/config';

const valid = {
  NATS_URL: 'nats://127.0.0.1:4222',
  CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042,10.0.0.2',
  CASSANDRA_KEYSPACE: 'chat',
};
const spec = { process: ProcessConfig, nats: NatsConfig, cassandra: CassandraConfig };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(spec, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'CONFIG_INVALID');
    return [...err.problems];
  }
  return [];
}

describe('config loading', () => {
  test('a valid environment gives typed, frozen sections with defaults', () => {
    const config = loadConfig(spec, { ...valid, MANAGEMENT_PORT: '8080', CHAT_STREAM_PARTITIONS: '4' });
    assert.equal(config.process.MANAGEMENT_PORT, 8080);
    assert.equal(config.process.LOG_LEVEL, 'info');
    assert.equal(config.nats.CHAT_STREAM_PARTITIONS, 4);
    assert.deepEqual(config.cassandra.CASSANDRA_CONTACT_POINTS, ['127.0.0.1:9042', '10.0.0.2']);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.nats));
  });

  for (const name of Object.keys(valid)) {
    test(`missing ${name} gives one line naming it`, () => {
      const env: Record<string, string> = { ...valid };
      delete env[name];
      const lines = problems(env);
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, new RegExp(`^config: ${name} is missing; expected .+`));
    });
  }

  const bad: Array<[string, string, RegExp]> = [
    ['NATS_URL', 'http://x', /nats:\/\/ URLs/],
    ['MANAGEMENT_PORT', 'eighty', /integer TCP port/],
    ['MANAGEMENT_PORT', '70000', /between 0 and 65535/],
    ['LOG_LEVEL', 'loud', /one of fatal, error/],
    ['NODE_ENV', 'staging', /development, test, production/],
    ['CHAT_STREAM_PARTITIONS', '0', /at least 1/],
    ['NATS_NAMESPACE', 'Has.Dots', /lowercase token/],
    ['CASSANDRA_KEYSPACE', 'Chat-Prod', /keyspace name/],
    ['CASSANDRA_REPLICATION', 'Quorum:3', /SimpleStrategy:<rf>/],
    ['CASSANDRA_CONTACT_POINTS', 'a b', /host\[:port\]/],
  ];
  for (const [name, value, expected] of bad) {
    test(`${name}=${value} gives one line naming the variable and what is expected`, () => {
      const lines = problems({ ...valid, [name]: value });
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.ok(
        lines[0]!.startsWith(`config: ${name}=${JSON.stringify(value)} is invalid; expected `),
        lines[0],
      );
      assert.match(lines[0]!, expected);
    });
  }

  test('every bad variable gets its own line', () => {
    assert.equal(problems({ MANAGEMENT_PORT: 'x' }).length, 4);
  });

  test('required variables are those without a default', () => {
    assert.deepEqual(requiredVariables(S3Config).sort(), [
      'S3_ACCESS_KEY_ID',
      'S3_BUCKET',
      'S3_ENDPOINT',
      'S3_SECRET_ACCESS_KEY',
    ]);
    assert.deepEqual(requiredVariables(NatsConfig), ['NATS_URL']);
    assert.ok(configVariables(NatsConfig).includes('NATS_NAMESPACE'));
  });

  test('each app has its own default management port, and the port can be set', () => {
    const gateway = processConfigFor({ managementPort: 3100 });
    const projector = processConfigFor({ managementPort: 3101 });
    assert.equal(loadConfig({ p: gateway }, {}).p.MANAGEMENT_PORT, 3100);
    assert.equal(loadConfig({ p: projector }, {}).p.MANAGEMENT_PORT, 3101);
    assert.equal(loadConfig({ p: projector }, { MANAGEMENT_PORT: '9000' }).p.MANAGEMENT_PORT, 9000);
    assert.deepEqual(configVariables(projector).sort(), configVariables(ProcessConfig).sort());
  });

  test('TLS: neither file is plain HTTP; both must be set and readable', () => {
    const file = join(tmpdir(), `tls-config-${process.pid}.pem`);
    writeFileSync(file, 'x');
    const http = (env: Record<string, string>): string[] => {
      try {
        loadConfig({ http: PublicHttpConfig }, env);
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return [...err.problems];
      }
    };
    assert.deepEqual(http({}), []);
    assert.deepEqual(http({ TLS_CERT_FILE: file, TLS_KEY_FILE: file }), []);
    assert.deepEqual(requiredVariables(PublicHttpConfig), []);
    const [line, ...rest] = http({ TLS_CERT_FILE: file });
    assert.equal(rest.length, 0);
    assert.match(line!, /^config: TLS_KEY_FILE is missing; expected .*set together with TLS_CERT_FILE/);
    assert.match(
      http({ TLS_CERT_FILE: `${file}.absent`, TLS_KEY_FILE: file })[0]!,
      /TLS_CERT_FILE=.* is invalid/,
    );
  });
});
