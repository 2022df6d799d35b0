// Requests per second of model.predict as a server sees them: 1, 8 and 32 concurrent callers, each sending
// one 256x256 image at a time, without and with dynamic batching, beside calls made one at a time.
// Usage: npx tsx bench/serve.ts [--quick] [--json PATH]
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { UNet, type PredictOptions } from '../lib/index.js';
import { environment, randomImages } from './peer.js';

interface Row {
  callers: number;
  batching: string;
  requests: number;
  requestsPerSecond: number;
  p99LoopDelayMs: number;
}

/** `callers` loops, each awaiting its previous answer before sending the next request, until `requests` are done. */
async function serve(model: UNet, callers: number, requests: number, options: PredictOptions): Promise<Omit<Row, 'batching'>> {
  const image = randomImages([1, 1, 256, 256]);
  let sent = 0;
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (sent < requests) {
        sent++;
        await model.predict(image, options);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  histogram.disable();
  return { callers, requests, requestsPerSecond: requests / seconds, p99LoopDelayMs: histogram.percentile(99) / 1e6 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } } });
  const requests = values.quick ? 16 : 64;
  const model = await UNet.create({ baseFilters: 16, depth: 4, device: 'cpu', seed: 0 });
  await serve(model, 1, 4, {}); // warm-up: folding, first-call allocations
  const rows: Row[] = [];
  for (const callers of [1, 8, 32]) {
    rows.push({ ...(await serve(model, callers, requests, {})), batching: 'off' });
    if (callers > 1) {
      const batching = { maxBatch: 8, maxDelayMs: 2 };
      rows.push({ ...(await serve(model, callers, requests, { batching })), batching: 'maxBatch 8, maxDelayMs 2' });
    }
  }
  const single = rows[0].requestsPerSecond;
  console.log('Environment:', environment());
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
  if (values.json) writeFileSync(values.json, JSON.stringify({ environment: environment(), rows }, null, 2));
}

await main();
