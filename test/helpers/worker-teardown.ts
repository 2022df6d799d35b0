// Child process for the worker-thread test: a worker trains (fit, many epochs) and is terminated after its first
// batch; another worker predicts and exits by itself. The main thread then still predicts. Prints one line per step.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { UNet } from '../../lib/index.js';
import { randomImages } from './data.js';
import { discs } from './shapes.js';

if (isMainThread) {
  // A worker does not inherit tsx's loader: it registers it, then imports this file.
  const source = `const { register } = await import('tsx/esm/api'); register(); await import(${JSON.stringify(import.meta.url)});`;
  const run = (mode: string) => new Worker(source, { eval: true, workerData: mode });
  const training = run('fit');
  await new Promise<void>((resolve) => training.once('message', () => resolve()));
  const code = await training.terminate();
  console.log(`terminated during fit: exit ${code}`);
  const predicting = run('predict');
  const answer = await new Promise<string>((resolve) => predicting.once('message', resolve));
  await new Promise((resolve) => predicting.once('exit', resolve));
  console.log(`worker predict: ${answer}`);
  const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
  const mask = await model.predict(randomImages([1, 1, 16, 16], 1));
  console.log(`main predict: ${mask.shape.join('x')}`);
} else if (workerData === 'fit') {
  const data = discs(16, 64, 1);
  const model = await UNet.create({ baseFilters: 8, depth: 3, device: 'cpu', seed: 1 });
  await model.fit(data, { epochs: 1000, batchSize: 4, onBatchEnd: () => parentPort?.postMessage('batch') });
} else {
  const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
  const mask = await model.predict(randomImages([2, 1, 16, 16], 2));
  parentPort?.postMessage(mask.shape.join('x'));
}
