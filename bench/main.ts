import { parseArgs } from 'node:util';
import { gatewayKill } from './workloads/gateway-kill.js';
import { offlineSync } from './workloads/offline-sync.js';
import { oneToOne } from './workloads/one-to-one.js';
import { receipts } from './workloads/receipts.js';
import { printTable, progress, writeResult } from './support/report.js';

/**
 * `npm run bench -- <workload...|all> [--small]`: drives an isolated deployment on the local servers
 * through the SDK over real WebSockets, prints a table per workload and writes bench/results/*.json.
 * --small runs each workload briefly, for correctness only (the test suite does this).
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    small: { type: 'boolean', default: false },
    pairs: { type: 'string' },
    rates: { type: 'string' },
    'step-seconds': { type: 'string' },
    messages: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
  },
});

type Workload = (small: boolean) => Promise<boolean>;

const workloads: Record<string, Workload> = {
  'one-to-one': async (small) => {
    const settings = {
      pairs: Number(values.pairs ?? (small ? 4 : 20)),
      rates: (values.rates ?? (small ? '50' : '100,250,500,1000,1500,2000,3000')).split(',').map(Number),
      stepSeconds: Number(values['step-seconds'] ?? (small ? 2 : 10)),
    };
    const r = await oneToOne(settings);
    printTable('1:1 delivery between online devices (latency in ms, CPU in % of one core)', r.steps);
    console.log(
      `highest offered rate with p99 <= 20 ms: ${r.bestRateAtTarget} msg/s; verdict: ${r.ok ? 'PASS (every message exactly once, in order)' : 'FAIL'}`,
    );
    progress(`wrote ${writeResult('one-to-one', { settings, ...r })}`);
    return r.ok;
  },
  receipts: async (small) => {
    const settings = {
      pairs: Number(values.pairs ?? (small ? 2 : 10)),
      messages: Number(values.messages ?? (small ? 20 : 500)),
    };
    const r = await receipts(settings);
    printTable('Receipts: time from send to the sender seeing DELIVERED and READ (ms)', r.rows);
    console.log(`verdict: ${r.ok ? 'PASS (every receipt arrived)' : 'FAIL'}`);
    progress(`wrote ${writeResult('receipts', { settings, ...r })}`);
    return r.ok;
  },
  'offline-sync': async (small) => {
    const settings = { messages: Number(values.messages ?? (small ? 300 : 10_000)) };
    const r = await offlineSync(settings);
    printTable('Offline sync: messages waiting for a device, from connect to the last one received', [r.row]);
    console.log(`verdict: ${r.ok ? 'PASS (every message exactly once, in order)' : 'FAIL'}`);
    progress(`wrote ${writeResult('offline-sync', { settings, ...r })}`);
    return r.ok;
  },
  'gateway-kill': async (small) => {
    const settings = {
      pairs: Number(values.pairs ?? (small ? 4 : 20)),
      rate: Number(values.rate ?? (small ? 50 : 500)),
      seconds: Number(values.seconds ?? (small ? 6 : 30)),
    };
    const r = await gatewayKill(settings);
    printTable('Fault under load: a gateway killed with SIGKILL (latency in ms)', [r.row]);
    console.log(`verdict: ${r.ok ? 'PASS (nothing lost, nothing duplicated, in order)' : 'FAIL'}`);
    progress(`wrote ${writeResult('gateway-kill', { settings, ...r })}`);
    return r.ok;
  },
};

const names = positionals.length === 0 || positionals.includes('all') ? Object.keys(workloads) : positionals;
const unknown = names.filter((n) => !(n in workloads));
if (unknown.length > 0) {
  console.error(
    `unknown workload(s): ${unknown.join(', ')}; known: ${Object.keys(workloads).join(', ')}, all`,
  );
  process.exit(2);
}
let failed = 0;
for (const name of names) {
  progress(`== ${name}${values.small ? ' (small)' : ''}`);
  if (!(await workloads[name]!(values.small ?? false))) failed++;
}
process.exit(failed === 0 ? 0 : 1);
