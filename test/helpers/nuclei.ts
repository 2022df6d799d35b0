// A small binary U-Net that has seen one nuclei image (test/fixtures/dsb) for 30 steps: its masks are mostly
// right (98% of the pixels), so pictures and per-class areas mean something, in about a second.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { decodeImage, decodeMaskPixels } from '../../lib/data/image_io.js';
import { standardise, UNet } from '../../lib/index.js';

const ID = '00071198d059ba7f5914a526d124d28e6d010c92466da21d4a04cd5413362552';
export const NUCLEI_IMAGE = join(import.meta.dirname, '..', 'fixtures', 'dsb', 'images', `${ID}.png`);
const NUCLEI_MASK = join(import.meta.dirname, '..', 'fixtures', 'dsb', 'masks', `${ID}.png`);

export async function nucleiModel(): Promise<UNet> {
  const { data, width, height } = await decodeImage(readFileSync(NUCLEI_IMAGE), 1);
  const { rgb } = await decodeMaskPixels(NUCLEI_MASK);
  const masks = { data: Uint8Array.from({ length: width * height }, (_, i) => (rgb[3 * i] > 0 ? 1 : 0)), shape: [1, 1, height, width] };
  const image = standardise({ data, shape: [1, 1, height, width] });
  const model = await UNet.create({ baseFilters: 4, depth: 2, seed: 3, device: 'cpu' });
  for (let step = 0; step < 30; step++) await model.trainStep(image, masks, { lr: 1e-2 });
  return model;
}
