// One rank of bench/distributed.ts: joins the group from torchrun's environment, runs fit on the bench's images and
// writes figures.json (rank 0): the epochs' images/s (global) and the times of allreducing a gradient-sized buffer.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ProcessGroup, UNet } from '../lib/index.js';

const [directory, epochs, batchSize, reps] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const job = JSON.parse(readFileSync(join(directory, 'job.json'), 'utf8')) as { model: Record<string, unknown>; shape: number[] };
const group = await ProcessGroup.init({ timeout: 120 });
const model = await UNet.create({ ...job.model, device: 'cpu', seed: 0 });
const images = { data: new Float32Array(readFileSync(join(directory, 'images.bin')).buffer.slice(0)), shape: job.shape };
const masks = { data: new Uint8Array(readFileSync(join(directory, 'masks.bin'))), shape: job.shape };
const history = await model.fit({ images, masks }, { epochs, batchSize, lr: 1e-3, processGroup: group });
// The gradients of one step, as one buffer: what each step's buckets carry in all.
const gradients = { data: new Float32Array(model.parameterCount), shape: [model.parameterCount] };
const milliseconds: number[] = [];
for (let rep = 0; rep < reps; rep++) {
  const start = performance.now();
  await group.allreduce(gradients);
  milliseconds.push(performance.now() - start);
}
if (group.rank === 0) writeFileSync(join(directory, 'figures.json'), JSON.stringify({ imagesPerSecond: history.map((epoch) => epoch.imagesPerSecond), allreduceMs: milliseconds }));
