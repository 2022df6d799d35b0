// Test fixtures on disk: folders of synthetic shapes as `torch-unet train` reads them, and a free port.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';

import { shapes, writeMask } from '../../lib/data/index.js';

export interface ShapesFolderOptions {
  count: number;
  size: number;
  classes: number;
  channels: 1 | 3;
  seed: number;
}

/** Writes `root`/images and `root`/masks: `count` PNGs of the library's shapes (8-bit) and their masks. */
export async function writeShapesFolders(root: string, { count, size, classes, channels, seed }: ShapesFolderOptions) {
  const data = shapes({ count, size, classes, channels, seed });
  const images = join(root, 'images');
  const masks = join(root, 'masks');
  mkdirSync(images, { recursive: true });
  mkdirSync(masks, { recursive: true });
  const plane = size * size;
  for (let n = 0; n < count; n++) {
    const pixels = Buffer.alloc(plane * channels);
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < plane; i++) pixels[i * channels + c] = Math.round(255 * data.images.data[(n * channels + c) * plane + i]);
    }
    await sharp(pixels, { raw: { width: size, height: size, channels } }).png().toFile(join(images, `img${n}.png`));
    await writeMask(join(masks, `img${n}.png`), { data: data.masks.data.subarray(n * plane, (n + 1) * plane), shape: [size, size] }, { classes });
  }
  return { images, masks };
}

/** A port nobody listens on now (the OS's choice), for one rendezvous. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
