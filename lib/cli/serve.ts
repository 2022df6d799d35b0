// `torch-unet serve`: the HTTP server (servePlugin) for the models named, until SIGTERM or Ctrl-C, which drain
// the requests in flight, then exit 0 (1 if they outlast --drain-timeout-ms).
import { readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setPriority } from 'node:os';

import Fastify from 'fastify';

import { UNet } from '../model/unet.js';
import { setComputeNice, setThreads, type Precision } from '../runtime/backend.js';
import { servePlugin } from '../server/plugin.js';
import { createReporter, type OutputOptions } from './report.js';

export interface ServeCommandOptions extends OutputOptions {
  model: string[];
  classNames?: string[];
  port: number;
  host: string;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  requestTimeoutMs: number;
  bodyLimitMb: number;
  maxImagePixels: number;
  tileSize: number;
  drainTimeoutMs: number;
  threads?: number;
  computeNice?: number;
  precision?: Precision;
  tta?: boolean;
  log?: boolean;
}

/**
 * The threads but the event loop's yield to it by default: on a machine whose cores inference fills, the loop then
 * waits less for a core (bench/serve.ts, BENCHMARKS.md).
 */
export const DEFAULT_COMPUTE_NICE = 10;

/**
 * Every thread of the process but the event loop's at `nice` (Linux): libtorch's through setComputeNice (which
 * also covers the teams it starts later), libuv's pool (sharp's decoding and encoding, and the libvips threads
 * they start) and V8's helpers by their thread ids. The pool starts on first use, so a stat starts it first.
 */
async function yieldToEventLoop(nice: number): Promise<void> {
  setComputeNice(nice);
  await stat(process.execPath);
  for (const thread of readdirSync('/proc/self/task')) {
    try {
      if (Number(thread) !== process.pid) setPriority(Number(thread), nice);
    } catch (error) {
      if ((error as { info?: { code?: string } }).info?.code !== 'ESRCH') throw error; // a thread that has ended
    }
  }
}

/** NAME=VALUE pairs, for --model and --class-names (repeated). */
export function pairArgument(text: string, previous: string[] = []): string[] {
  return [...previous, text];
}

function parsePairs(pairs: string[], flag: string, value: string): [string, string][] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new Error(`${flag}: expected NAME=${value}, got '${pair}'`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  });
}

/** --class-names NAME=background,nucleus: by model name, each model's mask values' names. */
function parseClassNames(pairs: string[], models: string[]): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const [model, list] of parsePairs(pairs, '--class-names', 'NAME,NAME,...')) {
    if (!models.includes(model)) throw new Error(`--class-names: no --model is named '${model}'`);
    names.set(model, list.split(','));
  }
  return names;
}

export async function serve(options: ServeCommandOptions): Promise<void> {
  const report = createReporter(options);
  const pairs = parsePairs(options.model, '--model', 'FILE');
  const classNames = parseClassNames(options.classNames ?? [], pairs.map(([name]) => name));
  if (options.threads !== undefined) setThreads(options.threads);
  try {
    await yieldToEventLoop(options.computeNice ?? DEFAULT_COMPUTE_NICE);
  } catch (error) {
    // The default is a preference: where the system has no per-thread nice value, serve runs without it.
    if (options.computeNice !== undefined) throw new Error(`--compute-nice: ${(error as Error).message}`);
    report.message(`the threads at the event loop's priority: ${(error as Error).message}`);
  }
  const models: Record<string, UNet> = {};
  for (const [name, file] of pairs) {
    if (name in models) throw new Error(`--model: the name '${name}' is given twice`);
    models[name] = await UNet.load(file);
  }
  const served = Object.fromEntries(Object.entries(models).map(([name, model]) => [name, { model, classNames: classNames.get(name) }]));
  const app = Fastify({ logger: options.log === true, forceCloseConnections: 'idle' });
  await app.register(servePlugin, {
    models: served,
    batching: { maxBatchSize: options.maxBatchSize, maxQueueDelayMs: options.maxQueueDelayMs, maxQueueSize: options.maxQueueSize },
    requestTimeoutMs: options.requestTimeoutMs,
    bodyLimit: Math.round(options.bodyLimitMb * 1024 * 1024),
    maxImagePixels: options.maxImagePixels,
    tileSize: options.tileSize,
    precision: options.precision,
    tta: options.tta ? 'flips' : undefined,
  });
  const address = await app.listen({ port: options.port, host: options.host });
  report.result('listening', { address, models: Object.keys(models) }, `serving ${Object.keys(models).join(', ')} on ${address}`);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      report.message(`${signal}: draining the requests in flight`);
      // close() stops accepting, answers new requests on open connections with 503 and waits for those in flight.
      const deadline = setTimeout(() => {
        report.message(`the requests in flight outlasted --drain-timeout-ms ${options.drainTimeoutMs}; exiting`);
        process.exit(1);
      }, options.drainTimeoutMs);
      void app.close().then(() => {
        clearTimeout(deadline);
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  for (const model of Object.values(models)) model.dispose();
  report.result('stopped', {}, 'stopped');
}
