// Requests per second of model.predict as a server sees them: 1, 8 and 32 concurrent callers, each sending
// one 256x256 image at a time, without and with dynamic batching, beside calls made one at a time.
// Usage: npx tsx bench/serve.ts [--quick] [--json PATH]
// The configurations take turns in rounds (the machine is shared and its speed drifts), each round in another
// order, and each configuration's figures sum its rounds.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { UNet, type PredictOptions } from '../lib/index.js';
import { environment, randomImages } from './peer.js';

interface Config {
  callers: number;
  batching: string;
  options: PredictOptions;
}

interface Tally {
  requests: number;
  seconds: number;
  /** Event-loop delays over all of this configuration's rounds (enabled only while it runs). */
  loopDelay: IntervalHistogram;
}

const BATCHING = { maxBatchSize: 8, maxQueueDelayMs: 2 };
const CONFIGS: Config[] = [
  { callers: 1, batching: 'off', options: {} },
  { callers: 8, batching: 'off', options: {} },
  { callers: 8, batching: 'maxBatchSize 8, maxQueueDelayMs 2', options: { batching: BATCHING } },
  { callers: 32, batching: 'off', options: {} },
  { callers: 32, batching: 'maxBatchSize 8, maxQueueDelayMs 2', options: { batching: BATCHING } },
];

/** `callers` loops, each awaiting its previous answer before sending the next request, until `requests` are done. */
async function serve(model: UNet, config: Config, requests: number, tally: Tally): Promise<void> {
  const image = randomImages([1, 1, 256, 256]);
  let sent = 0;
  tally.loopDelay.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: config.callers }, async () => {
      while (sent < requests) {
        sent++;
        await model.predict(image, config.options);
      }
    }),
  );
  tally.seconds += (performance.now() - started) / 1000;
  tally.loopDelay.disable();
  tally.requests += requests;
}

function newTally(): Tally {
  return { requests: 0, seconds: 0, loopDelay: monitorEventLoopDelay({ resolution: 1 }) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } } });
  const rounds = values.quick ? 2 : 6;
  const requestsPerRound = values.quick ? 16 : 32;
  const model = await UNet.create({ baseFilters: 16, depth: 4, device: 'cpu', seed: 0 });
  await serve(model, CONFIGS[0], 4, newTally()); // warm-up
  const tallies = CONFIGS.map(() => newTally());
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < CONFIGS.length; turn++) {
      const index = (round + turn) % CONFIGS.length;
      await serve(model, CONFIGS[index], requestsPerRound, tallies[index]);
    }
  }
  const rows = CONFIGS.map((config, index) => ({
    callers: config.callers,
    batching: config.batching,
    requests: tallies[index].requests,
    requestsPerSecond: tallies[index].requests / tallies[index].seconds,
    p99LoopDelayMs: tallies[index].loopDelay.percentile(99) / 1e6,
  }));
  const single = rows[0].requestsPerSecond;
  console.log('Environment:', environment());
  console.log(`${rounds} rounds of ${requestsPerRound} requests a configuration, taking turns`);
  console.table(
    rows.map((row) => ({
      callers: row.callers,
      batching: row.batching,
      requests: row.requests,
      'requests/s': row.requestsPerSecond.toFixed(2),
      'vs one at a time': (row.requestsPerSecond / single).toFixed(2),
      'p99 loop delay ms': row.p99LoopDelayMs.toFixed(2),
    })),
  );
  if (values.json) writeFileSync(values.json, JSON.stringify({ environment: environment(), rounds, requestsPerRound, rows }, null, 2));
}

await main();
