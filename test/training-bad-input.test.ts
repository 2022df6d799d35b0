// Bad training input: clear errors, nothing crashes, and a failed fit leaves the model as usable as before.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { UNet } from '../lib/index.js';
import { discs } from './helpers/shapes.js';

const data = discs(8, 16, 1);
let model: UNet;
let before: Float32Array;

beforeAll(async () => {
  model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
  before = (await model.forward(data.images)).data;
});

describe('fit refuses', () => {
  const masks = (values: ArrayLike<number>, shape = [8, 1, 16, 16]) => ({ data: Uint8Array.from(values), shape });
  it.each([
    ['masks for another number of images', { ...data, masks: masks(new Uint8Array(7 * 256), [7, 1, 16, 16]) }, {}, 'data.masks: expected shape [8, 1, 16, 16] or [8, 16, 16]'],
    ['masks of another size', { ...data, masks: masks(new Uint8Array(8 * 64), [8, 1, 8, 8]) }, {}, 'data.masks: expected shape'],
    ['mask values at or above classes', { ...data, masks: masks(new Uint8Array(8 * 256).fill(2)) }, {}, 'masks: values must be class indices in [0, 2) (0 or 1 for one class); found 2'],
    ['an empty dataset', { images: { data: new Float32Array(0), shape: [0, 1, 16, 16] }, masks: masks([], [0, 1, 16, 16]) }, {}, 'data.images: expected at least one image'],
    ['a batch size of 0', data, { batchSize: 0 }, 'options.batchSize: expected an integer from 1'],
    ['an unknown option', data, { epoch: 3 }, 'options.epoch: unknown option'],
    ['an unknown optimizer', data, { optimizer: 'lbfgs' }, "options.optimizer: expected 'adam' | 'adamw' | 'sgd'"],
    ['an unknown schedule', data, { schedule: 'step' }, "options.schedule: expected 'constant' | 'plateau' | 'cosine' | 'poly'"],
    ['validation and validationSplit together', data, { validation: data, validationSplit: 0.2 }, 'give validation or validationSplit, not both'],
    ['a split that leaves nothing to train on', data, { validationSplit: 0.99 }, 'leaves no image for training or for validation'],
    ['augment probabilities outside [0, 1]', data, { augment: { horizontalFlip: 2 } }, 'options.augment.horizontalFlip'],
    ['augment ranges out of order', data, { augment: { scaleMin: 1.2, scaleMax: 1.1 } }, 'options.augment.scaleMin: expected at most options.augment.scaleMax'],
    ['a loss with reduction none', data, { loss: { name: 'dice', sigmoid: true, reduction: 'none' } }, "loss.reduction: expected 'mean' or 'sum' for training"],
  ])('%s', async (_, input, options, message) => {
    await expect(model.fit(input as never, { epochs: 1, ...options } as never)).rejects.toThrow(message);
  });

  it('NaN or Inf in the images', async () => {
    const images = { data: Float32Array.from(data.images.data), shape: data.images.shape };
    images.data[100] = NaN;
    await expect(model.fit({ images, masks: data.masks }, { epochs: 1 })).rejects.toThrow('images: contains NaN or Inf values');
  });

  it('a loss that becomes NaN, naming the epoch and the step', async () => {
    const exploding = await UNet.create({ baseFilters: 4, depth: 2, norm: 'none', device: 'cpu', seed: 1 });
    const images = { data: data.images.data.map((v) => v * 1e18), shape: data.images.shape };
    await expect(exploding.fit({ images, masks: data.masks }, { epochs: 5, batchSize: 4, lr: 1e6, optimizer: 'sgd', loss: { name: 'bce' } })).rejects.toThrow(
      /the loss became (NaN|infinite) at epoch \d+, step \d+/,
    );
    const logits = await exploding.forward(data.images);
    expect(logits.data.length).toBe(8 * 256);
  });

  it('leaves the model as it was after a refused fit', async () => {
    const after = (await model.forward(data.images)).data;
    expect(Array.from(after)).toEqual(Array.from(before));
  });
});

describe('model files', () => {
  const folder = mkdtempSync(join(tmpdir(), 'torch-unet-files-'));

  it('refuse missing, corrupt, truncated and foreign files with a message naming the file', async () => {
    await expect(UNet.load(join(folder, 'missing.pt'))).rejects.toThrow(/missing\.pt/);
    const garbage = join(folder, 'garbage.pt');
    writeFileSync(garbage, 'not a model at all');
    await expect(UNet.load(garbage)).rejects.toThrow(/garbage\.pt.*(not a torch-unet checkpoint|corrupt)/);
    const saved = join(folder, 'saved.pt');
    await model.save(saved);
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(saved);
    const truncated = join(folder, 'truncated.pt');
    writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
    await expect(UNet.load(truncated)).rejects.toThrow(/truncated\.pt/);
    const exported = join(folder, 'weights.pt');
    await model.exportWeights(exported);
    await expect(UNet.load(exported)).rejects.toThrow(/weights\.pt.*not a torch-unet checkpoint/);
  });

  it('refuse weights of another architecture', async () => {
    const other = await UNet.create({ baseFilters: 8, depth: 2, device: 'cpu' });
    const path = join(folder, 'other.pt');
    await other.exportWeights(path);
    await expect(model.importWeights(path)).rejects.toThrow('stateDict does not fit this model: wrong shape');
    const deeper = await UNet.create({ baseFilters: 4, depth: 3, device: 'cpu' });
    const deeperCheckpoint = join(folder, 'deeper.pt');
    await deeper.save(deeperCheckpoint);
    await expect(model.fit(data, { epochs: 1, resumeFrom: deeperCheckpoint })).rejects.toThrow(/stateDict does not fit this model/);
    await expect(model.save(join(folder, 'no-such-folder', 'x.pt'))).rejects.toThrow(/no-such-folder/);
  });
});
