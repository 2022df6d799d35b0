// Child process for the atomic-save test: saves two models alternately to one path until it is killed,
// printing "saving <seed>" before each save and "saved <seed>" after.
import { UNet } from '../../lib/index.js';

const path = process.argv[2];
const models = await Promise.all([1, 2].map((seed) => UNet.create({ baseFilters: 32, depth: 4, device: 'cpu', seed })));
for (let round = 0; ; round++) {
  const seed = (round % 2) + 1;
  console.log(`saving ${seed}`);
  await models[seed - 1].save(path);
  console.log(`saved ${seed}`);
}
