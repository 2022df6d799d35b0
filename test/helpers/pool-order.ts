// Child process for the thread-pool test, run with UV_THREADPOOL_SIZE=1: four models predict at once, then a file
// is read. Prints the order in which the five settle, one name per line.
import { readFile } from 'node:fs/promises';

import { UNet } from '../../lib/index.js';
import { randomImages } from './data.js';

const models = await Promise.all([1, 2, 3, 4].map((seed) => UNet.create({ baseFilters: 16, depth: 4, device: 'cpu', seed })));
const images = randomImages([2, 1, 256, 256], 1);
const order: string[] = [];
const predicts = models.map((model, i) => model.predict(images).then(() => order.push(`predict ${i + 1}`)));
const read = readFile(new URL('../../package.json', import.meta.url)).then(() => order.push('readFile'));
await Promise.all([...predicts, read]);
console.log(order.join('\n'));
