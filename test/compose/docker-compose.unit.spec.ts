import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configVariables, requiredVariables, type ConfigSpec } from '#libs/config';
import { gatewayConfigSpec } from '../../apps/gateway/src/gateway.config.js';
import { projectorConfigSpec } from '../../apps/projector/src/projector.config.js';
import { notifierConfigSpec } from '../../apps/notifier/src/notifier.config.js';

const root = new URL('../../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      environment?: Record<string, string | number | boolean> | string[];
      image?: string;
      ports?: string[];
      healthcheck?: { test?: string[] };
    }
  >;
};
const apps: Record<string, ConfigSpec> = {
  gateway: gatewayConfigSpec,
  projector: projectorConfigSpec,
  notifier: notifierConfigSpec,
};

function envNames(service: string): string[] {
  const environment = compose.services[service]?.environment ?? {};
  return Array.isArray(environment) ? environment.map((e) => e.split('=')[0]!) : Object.keys(environment);
}

describe('docker-compose.yml matches the config classes', () => {
  test('it describes the infrastructure the brief names', () => {
    const images = Object.values(compose.services).map((s) => s.image ?? '');
    for (const image of ['scylladb/scylla', 'nats', 'redis', 'minio/minio']) {
      assert.ok(
        images.some((i) => i.startsWith(image)),
        `no ${image} service`,
      );
    }
  });

  for (const [app, spec] of Object.entries(apps)) {
    test(`${app}: every required variable is set and none is unknown`, () => {
      const set = envNames(app);
      const known = Object.values(spec).flatMap((cls) => configVariables(cls));
      const required = Object.values(spec).flatMap((cls) => requiredVariables(cls));
      for (const name of required)
        assert.ok(set.includes(name), `${app} needs ${name} in docker-compose.yml`);
      for (const name of set)
        assert.ok(known.includes(name), `${app} sets ${name}, which its config does not know`);
    });
  }

  test('config/local.env sets only variables some app knows', () => {
    const known = new Set(
      Object.values(apps).flatMap((spec) => Object.values(spec).flatMap((c) => configVariables(c))),
    );
    const local = readFileSync(new URL('config/local.env', root), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split('=')[0]!);
    for (const name of local) assert.ok(known.has(name), `config/local.env sets unknown ${name}`);
  });

  for (const app of Object.keys(apps)) {
    test(`${app}: the healthcheck asks /readyz on its management port, published on loopback only`, () => {
      const service = compose.services[app]!;
      const environment = service.environment as Record<string, string | number>;
      const port = environment.MANAGEMENT_PORT;
      assert.ok(port, `${app} sets no MANAGEMENT_PORT`);
      assert.match((service.healthcheck?.test ?? []).join(' '), new RegExp(`127\\.0\\.0\\.1:${port}/readyz`));
      const published = (service.ports ?? []).filter((p) => p.endsWith(`:${port}`));
      for (const p of published) assert.match(p, /^127\.0\.0\.1:/, `${app} publishes ${p} beyond loopback`);
    });
  }
});
