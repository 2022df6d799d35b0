// Child process for the precision test, run with ONEDNN_MAX_CPU_ISA=AVX512_CORE (oneDNN kept below bf16, as on a
// CPU without it): what bf16 and 'auto' do there, and whether a checkpoint trained in bf16 (argv[2]) predicts as
// it did where it was trained. Prints one JSON object.
import { UNet, backendInfo } from '../../lib/index.js';
import { randomImages } from './data.js';

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: Error) => `${error.name}: ${error.message}`,
  );

const model = await UNet.load(process.argv[2]);
const images = randomImages([2, 1, 32, 32], 4);
const masks = { data: new Uint8Array(2 * 32 * 32).fill(1), shape: [2, 1, 32, 32] };
const fp32 = await model.predict(images, { output: 'logits' });
const auto = await model.predict(images, { output: 'logits', precision: 'auto' });
console.log(
  JSON.stringify({
    backend: backendInfo(),
    refused: {
      predict: await errorOf(model.predict(images, { precision: 'bf16' })),
      forward: await errorOf(model.forward(images, { precision: 'bf16' })),
      trainStep: await errorOf(model.trainStep(images, masks, { precision: 'bf16' })),
      fit: await errorOf(model.fit({ images, masks }, { epochs: 1, precision: 'bf16' })),
      evaluate: await errorOf(model.evaluate({ images, masks }, { precision: 'bf16' })),
    },
    autoEqualsFp32: auto.data.every((value, i) => value === fp32.data[i]),
    logits: Array.from(fp32.data as Float32Array),
  }),
);
