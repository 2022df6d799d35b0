import { UNet } from '../lib/index.js';
const size = Number(process.argv[2] ?? 128), n = 8;
const m = await UNet.create({ baseFilters: 16, depth: 4, seed: 0, device: 'cpu' });
const images = { data: new Float32Array(n * size * size).map(() => Math.random()), shape: [n, 1, size, size] };
const masks = { data: new Uint8Array(n * size * size).map(() => (Math.random() < 0.33 ? 1 : 0)), shape: [n, 1, size, size] };
for (let round = 0; round < 3; round++) for (const precision of ['fp32', 'bf16'] as const) {
  await m.trainStep(images, masks, { precision });
  const t0 = performance.now();
  let loss = 0;
  for (let i = 0; i < 3; i++) loss = (await m.trainStep(images, masks, { precision })).loss;
  console.log(precision, ((performance.now() - t0) / 3).toFixed(1), 'ms', loss.toFixed(4));
}
