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
      build?: string;
      command?: string[] | string;
      restart?: string;
      ports?: string[];
      healthcheck?: { test?: string[] };
      depends_on?: Record<string, { condition?: string }> | string[];
    }
  >;
};
const apps: Record<string, ConfigSpec> = {
  gateway: gatewayConfigSpec,
  projector: projectorConfigSpec,
  notifier: notifierConfigSpec,
};

/** The compose services that run an app (their command names its entry point): two of each. */
function instancesOf(app: string): string[] {
  return Object.entries(compose.services)
    .filter(([, s]) => [s.command ?? []].flat().join(' ').includes(`dist/apps/${app}/src/main.js`))
    .map(([name]) => name);
}

/** One-shot jobs others wait for to finish (service_completed_successfully). */
const jobs = new Set(
  Object.values(compose.services).flatMap((s) =>
    Object.entries(Array.isArray(s.depends_on) ? {} : (s.depends_on ?? {}))
      .filter(([, d]) => d.condition === 'service_completed_successfully')
      .map(([name]) => name),
  ),
);

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
    test(`${app}: two instances, every required variable set and none unknown`, () => {
      const instances = instancesOf(app);
      assert.equal(instances.length, 2, `${app} runs twice (${instances.join(', ')})`);
      const known = Object.values(spec).flatMap((cls) => configVariables(cls));
      const required = Object.values(spec).flatMap((cls) => requiredVariables(cls));
      for (const service of instances) {
        const set = envNames(service);
        for (const name of required)
          assert.ok(set.includes(name), `${service} needs ${name} in docker-compose.yml`);
        for (const name of set)
          assert.ok(known.includes(name), `${service} sets ${name}, which its config does not know`);
      }
      const ids = instances.map(
        (i) => (compose.services[i]!.environment as Record<string, string>).INSTANCE_ID,
      );
      assert.equal(new Set(ids).size, ids.length, `${app} instances have distinct INSTANCE_IDs`);
    });
  }

  test('every image is pinned to a version (no latest, no bare major)', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build !== undefined && service.image === undefined) continue; // this repo's image
      const image = service.image ?? '';
      const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : '';
      assert.ok(tag !== '' && tag !== 'latest', `${name}: ${image} names no version`);
      assert.match(
        tag,
        /^(v?\d+\.\d+\.\d+|RELEASE\.\d{4}-\d\d-\d\dT[\d-]+Z)(-[a-z0-9]+)?$/,
        `${name}: ${image} is not a full version`,
      );
    }
  });

  test('every long-running service has a healthcheck, and waits on its dependencies by condition', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (!jobs.has(name))
        assert.ok((service.healthcheck?.test ?? []).length > 0, `${name} has no healthcheck`);
      else assert.equal(service.restart, 'no', `${name} is a one-shot job`);
      const deps = service.depends_on ?? {};
      assert.ok(!Array.isArray(deps), `${name}: depends_on without conditions`);
      for (const [dep, d] of Object.entries(deps)) {
        assert.ok(compose.services[dep], `${name} depends on unknown ${dep}`);
        const wanted = jobs.has(dep) ? 'service_completed_successfully' : 'service_healthy';
        assert.equal(d.condition, wanted, `${name} waits for ${dep} to be ${wanted}`);
      }
    }
  });

  test('a load balancer passes WebSocket upgrades to both gateways', () => {
    const conf = readFileSync(new URL('infra/nginx/nginx.conf', root), 'utf8');
    for (const g of instancesOf('gateway')) assert.match(conf, new RegExp(`server ${g}:3000`));
    assert.match(conf, /proxy_set_header Upgrade \$http_upgrade/);
    assert.match(conf, /proxy_set_header Connection \$connection_upgrade/);
  });

  test('every app instance is scraped by Prometheus, and Grafana gets the dashboard', () => {
    const scrape = readFileSync(new URL('infra/prometheus/prometheus.yml', root), 'utf8');
    for (const app of Object.keys(apps))
      for (const service of instancesOf(app)) {
        const port = (compose.services[service]!.environment as Record<string, string | number>)
          .MANAGEMENT_PORT;
        assert.ok(scrape.includes(`${service}:${port}`), `${service}:${port} not scraped`);
      }
    const grafana = JSON.stringify(compose.services.grafana);
    assert.match(grafana, /infra\/grafana\/chat-dashboard\.json/);
  });

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
      for (const name of instancesOf(app)) {
        const service = compose.services[name]!;
        const environment = service.environment as Record<string, string | number>;
        const port = environment.MANAGEMENT_PORT;
        assert.ok(port, `${name} sets no MANAGEMENT_PORT`);
        assert.match(
          (service.healthcheck?.test ?? []).join(' '),
          new RegExp(`127\\.0\\.0\\.1:${port}/readyz`),
        );
        const published = (service.ports ?? []).filter((p) => p.endsWith(`:${port}`));
        for (const p of published)
          assert.match(p, /^127\.0\.0\.1:/, `${name} publishes ${p} beyond loopback`);
      }
    });
  }
});
