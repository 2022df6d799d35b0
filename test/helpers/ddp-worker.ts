// One rank of a distributed fit, for test/distributed.test.ts: joins the group from the environment (RANK,
// WORLD_SIZE, MASTER_ADDR, MASTER_PORT, as torchrun sets them), trains on the data in argv[2] and writes
// rank<r>.json there: the state dict, the batch losses, the history, and an allreduce of [rank + 1, 2].
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ProcessGroup, UNet, type FitOptions } from '../../lib/index.js';

const directory = process.argv[2];
const job = JSON.parse(readFileSync(join(directory, 'job.json'), 'utf8')) as {
  config: { baseFilters: number; depth: number };
  shape: number[];
  fit: FitOptions;
  initial?: string;
  validation?: boolean;
};
const group = await ProcessGroup.init({ timeout: 60 });
const model = await UNet.create({ ...job.config, device: 'cpu', seed: 100 + group.rank });
if (group.rank === 0 && job.initial) await model.importWeights(join(directory, job.initial));
const count = job.shape.reduce((a, b) => a * b, 1);
const images = { data: new Float32Array(readFileSync(join(directory, 'images.bin')).buffer.slice(0, count * 4)), shape: job.shape };
const masks = { data: new Uint8Array(readFileSync(join(directory, 'masks.bin'))), shape: job.shape };
const losses: number[] = [];
const history = await model.fit(
  { images, masks },
  { ...job.fit, processGroup: group, validation: job.validation ? { images, masks } : undefined, onBatchEnd: (_, logs) => void losses.push(logs.loss) },
);
const state = Object.fromEntries(Object.entries(await model.stateDict()).map(([name, tensor]) => [name, { shape: tensor.shape, data: Array.from(tensor.data as Float32Array, Number) }]));
const summed = await group.allreduce({ data: new Float32Array([group.rank + 1, 2]), shape: [2] });
writeFileSync(join(directory, `rank${group.rank}.json`), JSON.stringify({ state, losses, history, summed: Array.from(summed.data) }));
