// Load test of `torch-unet serve` over HTTP on 127.0.0.1: 1, 8, 32 and 128 concurrent keep-alive connections,
// each sending the 16 DSB test images (256x256, distinct) one after another to the segment route for a PNG mask,
// against a server with dynamic batching, one without, and one with batching whose libtorch threads run at the
// event loop's nice value (0) instead of serve's default (10). Reports requests/s, p50/p99 latency, the server's CPU
// per request, its mean batch and its event loop's p99 delay (prom-client's, from /metrics; the worst block), then checks every
// answer's mask against the mask the library predicts for that request's own image. Last, an overload: 256
// connections against a queue of 16 must get 503s, never a dropped connection, and the server must recover.
// Usage: npx tsx bench/serve.ts [--quick] [--json PATH]
// The servers run in child processes (the CLI); they take turns in blocks, each block of connections led by
// another, and each row sums its rounds.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

import { decodeImage, encodeMask } from '../lib/data/image_io.js';
import { standardise, UNet } from '../lib/index.js';
import { environment } from './peer.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'string' }, threads: { type: 'string' } } });
const DATASET = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'dsb2018-nuclei-256');
const CLI = join(import.meta.dirname, '..', 'lib', 'cli', 'index.ts');
const CONNECTIONS = [1, 8, 32, 128];
const BLOCK_SECONDS = args.quick ? 2 : 5;
const ROUNDS = args.quick ? 1 : 2;
const BATCHING = ['--max-batch-size', '8', '--max-queue-delay-ms', '5'];
/** The servers compared, each row's "batching" column. */
const SERVERS = {
  off: ['--max-batch-size', '1', '--max-queue-size', '1024'],
  on: [...BATCHING, '--max-queue-size', '1024'],
  'on, nice 0': [...BATCHING, '--max-queue-size', '1024', '--compute-nice', '0'],
} as const;
type Compared = keyof typeof SERVERS;
const COMPARED = Object.keys(SERVERS) as Compared[];
const OVERLOAD = [...BATCHING, '--max-queue-size', '16'];

interface Server {
  child: ChildProcess;
  port: number;
  agent: Agent;
}

interface Answer {
  image: number;
  status: number;
  body: Buffer;
}

interface Tally {
  requests: number;
  seconds: number;
  latencies: number[];
  cpuSeconds: number;
  batchImages: number;
  batches: number;
  loopP99: number[];
}

async function startServer(model: string, flags: string[]): Promise<Server> {
  const threads = args.threads === undefined ? [] : ['--threads', args.threads];
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--model', `nuclei=${model}`, '--port', '0', '--json', ...threads, ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line);
      if (event.type === 'listening') resolve(event.address);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  return { child, port: Number(new URL(address).port), agent: new Agent({ keepAlive: true, maxSockets: 1024 }) };
}

function send(server: Server, method: string, path: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port: server.port, method, path, agent: server.agent, headers: body ? { 'content-type': 'image/png' } : {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    call.on('error', reject);
    call.end(body);
  });
}

/** The server's counters that the table reads. */
async function scrape(server: Server) {
  const text = (await send(server, 'GET', '/metrics')).body.toString();
  const value = (name: string) => Number(text.split('\n').find((line) => line.startsWith(name + ' '))?.split(' ')[1] ?? 0);
  return {
    cpu: value('process_cpu_seconds_total'),
    batchImages: value('torch_unet_batch_size_sum{model="nuclei"}'),
    batches: value('torch_unet_batch_size_count{model="nuclei"}'),
    loopP99: value('nodejs_eventloop_lag_p99_seconds'),
  };
}

/** `connections` closed loops, each sending the next image when its answer is in, for `seconds`. */
async function load(server: Server, images: Buffer[], connections: number, seconds: number, answers: Answer[], tally?: Tally): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  await scrape(server); // prom-client resets the event-loop histogram at each scrape: the next one covers this block
  const before = await scrape(server);
  let next = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const image = next++ % images.length;
        const sent = performance.now();
        const { status, body } = await send(server, 'POST', '/v1/models/nuclei/segment?output=mask', images[image]);
        tally?.latencies.push(performance.now() - sent);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 200) answers.push({ image, status, body });
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = await scrape(server);
  if (tally) {
    tally.requests += statuses.get(200) ?? 0;
    tally.seconds += elapsed;
    tally.cpuSeconds += after.cpu - before.cpu;
    tally.batchImages += after.batchImages - before.batchImages;
    tally.batches += after.batches - before.batches;
    tally.loopP99.push(after.loopP99);
  }
  return statuses;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

const scratch = mkdtempSync(join(tmpdir(), 'torch-unet-serve-bench-'));
const servers: Server[] = [];
try {
  // A model worth checking answers against: 4 epochs of the CLI's training on the 48 training images.
  const modelFile = join(scratch, 'nuclei.pt');
  const train = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'train', '--images', join(DATASET, 'train', 'images'), '--masks', join(DATASET, 'train', 'masks'),
    '--channels', '1', '--epochs', '4', '--size', '256', '--base-filters', '16', '--depth', '4', '--out', modelFile, '--quiet'], { stdio: 'inherit' });
  if (train.status !== 0) throw new Error('training the model failed');
  const names = readdirSync(join(DATASET, 'test', 'images')).sort();
  const images = names.map((name) => readFileSync(join(DATASET, 'test', 'images', name)));
  // What each image's answer must be: the library's predict on the same pixels, as the route computes them.
  const model = await UNet.load(modelFile);
  const expected = await Promise.all(
    images.map(async (bytes) => {
      const { data, width, height } = await decodeImage(bytes, 1);
      const mask = await model.predict(standardise({ data, shape: [1, 1, height, width] }));
      return { data: mask.data as Uint8Array, png: await encodeMask(mask, { classes: 1 }) };
    }),
  );
  model.dispose();

  const started = new Map<Compared, Server>();
  for (const name of COMPARED) started.set(name, await startServer(modelFile, [...SERVERS[name]]));
  servers.push(...started.values());
  const answers: Answer[] = [];
  const tallies = new Map<string, Tally>();
  for (const connections of CONNECTIONS) {
    for (const batching of COMPARED) tallies.set(`${connections} ${batching}`, { requests: 0, seconds: 0, latencies: [], cpuSeconds: 0, batchImages: 0, batches: 0, loopP99: [] });
  }
  for (const server of started.values()) await load(server, images, 8, 1, []); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const connections of CONNECTIONS) {
      // Each block starts with another server: none always runs after the same one.
      const shift = (round + CONNECTIONS.indexOf(connections)) % COMPARED.length;
      for (const batching of [...COMPARED.slice(shift), ...COMPARED.slice(0, shift)]) {
        await load(started.get(batching)!, images, connections, BLOCK_SECONDS, answers, tallies.get(`${connections} ${batching}`));
      }
    }
  }

  // Every answer against its own image's mask: identical, or a few pixels at the threshold (a batch's sums
  // run in another order); any other image's mask differs in thousands.
  let identical = 0;
  let worst = 0;
  const decoded = new Map<string, Uint8Array>();
  for (const answer of answers) {
    if (answer.body.equals(expected[answer.image].png)) {
      identical++;
      continue;
    }
    const key = answer.body.toString('base64');
    if (!decoded.has(key)) decoded.set(key, new Uint8Array(await sharp(answer.body).extractChannel(0).raw().toBuffer()));
    const pixels = decoded.get(key)!;
    let differing = 0;
    for (let i = 0; i < pixels.length; i++) differing += Number((pixels[i] > 0 ? 1 : 0) !== expected[answer.image].data[i]);
    worst = Math.max(worst, differing);
  }
  const closestOther = Math.min(...expected.flatMap((a, i) => expected.map((b, j) => (i === j ? Infinity : a.data.reduce((sum, value, k) => sum + Number(value !== b.data[k]), 0)))));
  if (worst * 10 > closestOther) throw new Error(`an answer's mask differs from its image's in ${worst} pixels (two images' masks differ in ${closestOther})`);

  // Overload: 256 connections against a queue of 16 waiting requests.
  const overload = await startServer(modelFile, OVERLOAD);
  servers.push(overload);
  const overloadStatuses = await load(overload, images, 256, BLOCK_SECONDS, []);
  const ready = await send(overload, 'GET', '/v2/health/ready');
  const after = await send(overload, 'POST', '/v1/models/nuclei/segment?output=mask', images[0]);
  const recovered = ready.status === 200 && after.status === 200 && after.body.equals(expected[0].png) && overload.child.exitCode === null;
  if (!recovered) throw new Error(`the server did not recover from the overload: ready ${ready.status}, segment ${after.status}`);

  const rows = [...tallies].map(([key, tally]) => {
    const [connections, ...label] = key.split(' ');
    const batching = label.join(' ');
    return {
      connections: Number(connections),
      batching,
      requestsPerSecond: tally.requests / tally.seconds,
      p50Ms: percentile(tally.latencies, 50),
      p99Ms: percentile(tally.latencies, 99),
      cpuMsPerRequest: (1000 * tally.cpuSeconds) / tally.requests,
      meanBatch: tally.batchImages / tally.batches,
      // Node's histogram records the whole interval between its samples: the delay is that less prom-client's 10 ms.
      loopP99Ms: 1000 * Math.max(...tally.loopP99) - 10,
    };
  });
  console.log(JSON.stringify(environment()));
  console.log('| connections | batching | requests/s | / off | p50 ms | p99 ms | CPU ms per request | mean batch | event-loop p99 |');
  console.log('| ----------: | -------- | ---------: | -------: | -----: | -----: | -----------------: | ---------: | -------------: |');
  for (const row of rows) {
    const offRow = rows.find((item) => item.connections === row.connections && item.batching === 'off')!;
    const ratio = (row.requestsPerSecond / offRow.requestsPerSecond).toFixed(2);
    console.log(
      `| ${row.connections} | ${row.batching} | ${row.requestsPerSecond.toFixed(1)} | ${ratio} | ${row.p50Ms.toFixed(1)} | ${row.p99Ms.toFixed(1)} | ` +
        `${row.cpuMsPerRequest.toFixed(1)} | ${row.meanBatch.toFixed(2)} | ${row.loopP99Ms.toFixed(2)} ms |`,
    );
  }
  const overloadSummary = Object.fromEntries([...overloadStatuses].sort());
  console.log(`checked ${answers.length} answers: ${identical} byte-identical to their image's mask, the others within ${worst} pixels (two images' masks differ in ${closestOther} or more)`);
  console.log(`overload (256 connections, queue of 16, ${BLOCK_SECONDS} s): statuses ${JSON.stringify(overloadSummary)}, no connection dropped; recovered: ready ${ready.status}, a request answered ${after.status} with its image's mask`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ environment: environment(), rows, answers: answers.length, identical, worst, closestOther, overload: overloadSummary }, null, 2));
} finally {
  for (const server of servers) {
    server.agent.destroy();
    server.child.kill('SIGTERM');
  }
  rmSync(scratch, { recursive: true, force: true });
}
