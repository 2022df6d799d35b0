// Weights move between torch-unet and PyTorch: exportWeights writes what Python's torch.load reads into the
// reference U-Net (strict), and importWeights reads what torch.save wrote. python3-torch is the other side.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { UNet, type UNetOptions } from '../lib/index.js';
import { PYTHON, toNumbers } from './helpers/oracle.js';

type Described = Record<string, { shape: number[]; dtype: string; sum: number }>;

const script = join(import.meta.dirname, 'oracle', 'weights_interop.py');
const folder = mkdtempSync(join(tmpdir(), 'torch-unet-interop-'));

function python<T>(...args: string[]): T {
  return JSON.parse(execFileSync(PYTHON, [script, ...args], { encoding: 'utf8' })) as T;
}

const configs: UNetOptions[] = [
  { inChannels: 1, classes: 1, depth: 3, baseFilters: 6, norm: 'batch', upsampling: 'transposed' },
  { inChannels: 3, classes: 4, depth: 2, baseFilters: 5, norm: 'instance', upsampling: 'bilinear', activation: 'elu' },
];

describe.each(configs)('weights interop %j', (config) => {
  const json = JSON.stringify(config);

  it('exportWeights writes a state dict that torch.load reads into the reference U-Net (strict)', async () => {
    const model = await UNet.create({ ...config, device: 'cpu', seed: 3 });
    const path = join(folder, `exported-${config.classes}.pt`);
    await model.exportWeights(path);
    const checked = python<{ ok: boolean; error?: string; tensors: Described }>('check', json, path);
    expect(checked.error).toBeUndefined();
    expect(checked.ok).toBe(true);
    const ours = await model.stateDict();
    expect(Object.keys(checked.tensors).sort()).toEqual(Object.keys(ours).sort());
    for (const [name, tensor] of Object.entries(ours)) {
      const sum = toNumbers(tensor.data).reduce((a, b) => a + b, 0);
      expect(checked.tensors[name].shape, name).toEqual(tensor.shape);
      expect(checked.tensors[name].sum, name).toBeCloseTo(sum, 4);
    }
  });

  it('importWeights reads what torch.save wrote, buffers included', async () => {
    const path = join(folder, `reference-${config.classes}.pt`);
    const saved = python<{ keys: string[]; tensors: Described }>('save-reference', json, path, '11');
    const model = await UNet.create({ ...config, device: 'cpu' });
    await model.importWeights(path);
    const ours = await model.stateDict();
    for (const name of saved.keys) {
      const sum = toNumbers(ours[name].data).reduce((a, b) => a + b, 0);
      expect(sum, name).toBeCloseTo(saved.tensors[name].sum, 4);
    }
  });
});

it('importWeights refuses a state dict of another architecture, naming what does not fit', async () => {
  const path = join(folder, 'deeper.pt');
  python('save-reference', JSON.stringify({ ...configs[0], depth: 4 }), path);
  const model = await UNet.create({ ...configs[0], device: 'cpu' });
  await expect(model.importWeights(path)).rejects.toThrow(/stateDict does not fit this model: .*unexpected downs\.3/);
});
