// Data sets: loadFolder (formats, mask kinds, pairing, errors, cache), splitDataset, shapes, loadImage, writeMask.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { loadFolder, loadImage, shapes, splitDataset, writeMask, type Dataset, type ShapeObject } from '../lib/data/index.js';
import { writeFileAtomic } from '../lib/files.js';
import { palette } from '../lib/pictures/index.js';

const DSB = join(import.meta.dirname, 'fixtures', 'dsb');
const root = mkdtempSync(join(tmpdir(), 'torch-unet-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
/** A fresh folder under the test's temporary root. */
function folder(name = 'f'): string {
  const path = join(root, `${name}-${folders++}`);
  mkdirSync(path, { recursive: true });
  return path;
}

/** Writes raw 8-bit pixels (H x W x channels) in the format the file name ends with. */
async function writePixels(path: string, pixels: number[] | Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4) {
  const image = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  if (path.endsWith('.webp')) await image.webp({ lossless: true }).toFile(path);
  else if (path.endsWith('.jpg')) await image.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toFile(path);
  // sharp's TIFF default is JPEG compression: lossy.
  else if (path.endsWith('.tif')) await image.tiff({ compression: 'lzw' }).toFile(path);
  else await image.toFile(path);
}

/** W x H RGB pixels whose values encode their place, so that any mix-up shows. */
function gradientRgb(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set([x * 20, y * 30, 100 + x + y], (y * width + x) * 3);
  }
  return pixels;
}

/** A mask with the left half foreground (value `on`) and the right half 0. */
function halfMask(width: number, height: number, on: number): Uint8Array {
  return Uint8Array.from({ length: width * height }, (_, i) => (i % width < width / 2 ? on : 0));
}

const uncached = { cache: false } as const;

describe('loadFolder on the DSB layout', () => {
  it('pairs images/<id>.png with masks/<id>.png and decodes them as sharp does', async () => {
    const dataset = await loadFolder({ images: join(DSB, 'images'), masks: join(DSB, 'masks'), channels: 1, ...uncached });
    expect(dataset.images.shape).toEqual([3, 1, 256, 256]);
    expect(dataset.masks.shape).toEqual([3, 1, 256, 256]);
    expect(dataset.images.dtype).toBe('float32');
    expect(dataset.masks.dtype).toBe('uint8');
    expect(dataset).toMatchObject({ channels: 1, classes: 1 });
    expect(dataset.names).toEqual([...readdirSync(join(DSB, 'images'))].sort().map((file) => file.replace('.png', '')));
    const plane = 256 * 256;
    for (const [index, name] of dataset.names.entries()) {
      // The masks are {0, 255}: foreground pixels are those of the file that are not 0.
      const mask = await sharp(join(DSB, 'masks', `${name}.png`)).extractChannel(0).raw().toBuffer();
      expect(mask.length).toBe(plane);
      const expected = Buffer.from(mask.map((value) => (value > 0 ? 1 : 0)));
      expect(expected.equals(dataset.masks.data.subarray(index * plane, (index + 1) * plane))).toBe(true);
      // The images are RGBA with R = G = B: grey is that value / 255.
      const image = await sharp(join(DSB, 'images', `${name}.png`)).raw().toBuffer({ resolveWithObject: true });
      expect(image.info.channels).toBe(4);
      for (const pixel of [0, 1000, 40000, plane - 1]) {
        expect(dataset.images.data[index * plane + pixel]).toBeCloseTo(image.data[pixel * 4] / 255, 6);
      }
    }
    const foreground = dataset.masks.data.reduce((sum, value) => sum + value, 0);
    expect(foreground).toBeGreaterThan(1000);
  });

  it('gives 3 channels by default, grey repeated', async () => {
    const dataset = await loadFolder({ images: join(DSB, 'images'), masks: join(DSB, 'masks'), ...uncached });
    expect(dataset.images.shape).toEqual([3, 3, 256, 256]);
    const plane = 256 * 256;
    for (const pixel of [5, 33333]) {
      expect(dataset.images.data[plane + pixel]).toBe(dataset.images.data[pixel]);
      expect(dataset.images.data[2 * plane + pixel]).toBe(dataset.images.data[pixel]);
    }
  });
});

describe('loadFolder: formats and channels', () => {
  const width = 6;
  const height = 4;
  const rgb = gradientRgb(width, height);
  const at = (channel: number, x: number, y: number) => rgb[(y * width + x) * 3 + channel] / 255;

  it('reads PNG, TIFF and WebP exactly and JPEG closely, as CHW floats in [0, 1]', async () => {
    const images = folder('formats');
    const masks = folder('formats-masks');
    for (const file of ['a.png', 'b.tif', 'c.webp', 'd.jpg']) {
      await writePixels(join(images, file), rgb, width, height, 3);
      await writePixels(join(masks, `${file.split('.')[0]}.png`), halfMask(width, height, 255), width, height, 1);
    }
    const dataset = await loadFolder({ images, masks, ...uncached });
    expect(dataset.names).toEqual(['a', 'b', 'c', 'd']);
    expect(dataset.images.shape).toEqual([4, 3, height, width]);
    const plane = width * height;
    for (let index = 0; index < 4; index++) {
      for (let channel = 0; channel < 3; channel++) {
        for (const [x, y] of [[0, 0], [5, 0], [2, 3], [5, 3]]) {
          const value = dataset.images.data[(index * 3 + channel) * plane + y * width + x];
          if (index < 3) expect(value).toBeCloseTo(at(channel, x, y), 6);
          else expect(Math.abs(value - at(channel, x, y))).toBeLessThan(6 / 255);
        }
      }
    }
    expect(Array.from(dataset.masks.data.subarray(0, width))).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it('converts grey, RGB and RGBA files to the channels asked for', async () => {
    const images = folder('channels');
    const masks = folder('channels-masks');
    const grey = Uint8Array.from({ length: width * height }, (_, i) => i * 10);
    const rgba = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i % 4 === 3 ? 128 : rgb[Math.floor(i / 4) * 3 + (i % 4)]));
    await writePixels(join(images, 'grey.png'), grey, width, height, 1);
    await writePixels(join(images, 'rgb.png'), rgb, width, height, 3);
    await writePixels(join(images, 'rgba.png'), rgba, width, height, 4);
    for (const stem of ['grey', 'rgb', 'rgba']) await writePixels(join(masks, `${stem}.png`), halfMask(width, height, 1), width, height, 1);
    const plane = width * height;

    const three = await loadFolder({ images, masks, channels: 3, ...uncached });
    // grey (index 0): the value repeated in R, G and B.
    for (let channel = 0; channel < 3; channel++) expect(three.images.data[channel * plane + 7]).toBeCloseTo(70 / 255, 6);
    // rgb (index 1) as it is; rgba (index 2) flattened onto black: half the colour at alpha 128.
    expect(three.images.data[3 * plane + plane + 7]).toBeCloseTo(rgb[7 * 3 + 1] / 255, 6);
    expect(three.images.data[6 * plane + 7] * 255).toBeCloseTo((rgb[7 * 3] * 128) / 255, -0.5);

    const four = await loadFolder({ images, masks, channels: 4, ...uncached });
    expect(four.images.shape).toEqual([3, 4, height, width]);
    expect(four.images.data[3 * plane + 7]).toBe(1); // grey gets an opaque alpha
    expect(four.images.data[(2 * 4 + 3) * plane + 7]).toBeCloseTo(128 / 255, 6); // rgba keeps its alpha

    const one = await loadFolder({ images, masks, channels: 1, ...uncached });
    expect(one.images.shape).toEqual([3, 1, height, width]);
    expect(one.images.data[7]).toBeCloseTo(70 / 255, 6);
    // RGB to luminance: between the darkest and the brightest channel.
    const [r, g, b] = [0, 1, 2].map((channel) => rgb[7 * 3 + channel] / 255);
    expect(one.images.data[plane + 7]).toBeGreaterThan(Math.min(r, g, b));
    expect(one.images.data[plane + 7]).toBeLessThan(Math.max(r, g, b));
  });
});

describe('loadFolder: masks', () => {
  const width = 4;
  const height = 2;
  const image = gradientRgb(width, height);

  async function oneMask(mask: number[] | Uint8Array, channels: 1 | 3 | 4 = 1, file = 'm.png') {
    const images = folder('masks');
    const masks = folder('masks-masks');
    await writePixels(join(images, 'm.png'), image, width, height, 3);
    await writePixels(join(masks, file), mask, width, height, channels);
    return { images, masks };
  }

  it('reads binary masks as {0, 1}: {0, 255}, {0, 1}, and any nonzero value', async () => {
    for (const values of [[0, 255, 0, 255, 255, 0, 0, 0], [0, 1, 0, 1, 1, 0, 0, 0], [0, 7, 0, 200, 1, 0, 0, 0]]) {
      const dataset = await loadFolder({ ...(await oneMask(values)), ...uncached });
      expect(Array.from(dataset.masks.data)).toEqual([0, 1, 0, 1, 1, 0, 0, 0]);
    }
  });

  it('reads grey class indices below classes, and names the file and value of one that is not', async () => {
    const indices = [0, 1, 2, 3, 3, 2, 1, 0];
    const dataset = await loadFolder({ ...(await oneMask(indices)), classes: 4, ...uncached });
    expect(Array.from(dataset.masks.data)).toEqual(indices);
    expect(dataset.classes).toBe(4);

    const bad = await oneMask([0, 1, 2, 9, 0, 0, 0, 0]);
    const error = await loadFolder({ ...bad, classes: 4, ...uncached }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toContain(join(bad.masks, 'm.png'));
    expect((error as Error).message).toContain('mask value 9 at x=3, y=0 is not a class index below 4');
    expect((error as Error).message).toContain('(0 good pairs)');
  });

  it('maps colours with maskMap, and names the file and colour of one it does not map', async () => {
    const red = [255, 0, 0];
    const blue = [0, 0, 255];
    const black = [0, 0, 0];
    const pixels = [black, red, blue, red, black, black, blue, blue].flat();
    const maskMap = { '#000000': 0, '#ff0000': 1, '#0000FF': 2 };
    const dataset = await loadFolder({ ...(await oneMask(pixels, 3)), classes: 3, maskMap, ...uncached });
    expect(Array.from(dataset.masks.data)).toEqual([0, 1, 2, 1, 0, 0, 2, 2]);

    const green = await oneMask([black, red, [0, 255, 0], red, black, black, blue, blue].flat(), 3);
    const error = await loadFolder({ ...green, classes: 3, maskMap, ...uncached }).catch((caught: Error) => caught);
    expect((error as Error).message).toContain(`${join(green.masks, 'm.png')}: mask colour #00ff00 at x=2, y=0 is not in maskMap`);
    await expect(loadFolder({ ...green, classes: 3, maskMap: { '#00ff00': 3 }, ...uncached })).rejects.toThrow(
      "options.maskMap['#00ff00']: expected an integer from 0 to 2, got 3",
    );
    await expect(loadFolder({ ...green, classes: 3, maskMap: { red: 1 }, ...uncached })).rejects.toThrow("expected '#rrggbb' colours as keys, got 'red'");
  });

  it('reads palette-coloured masks without maskMap, as writeMask writes them', async () => {
    const { images, masks } = await oneMask(new Uint8Array(width * height));
    const indices = Uint8Array.from([0, 1, 2, 3, 3, 2, 1, 0]);
    await writeMask(join(masks, 'm.png'), { data: indices, shape: [height, width] }, { classes: 4 });
    const written = await sharp(join(masks, 'm.png')).raw().toBuffer({ resolveWithObject: true });
    expect(written.info.channels).toBe(3);
    expect(Array.from(written.data.subarray(3, 6))).toEqual(palette(4)[1]);
    const dataset = await loadFolder({ images, masks, classes: 4, ...uncached });
    expect(Array.from(dataset.masks.data)).toEqual(Array.from(indices));
  });

  it('ignores the alpha of RGBA masks', async () => {
    const pixels = [0, 255, 0, 255, 0, 0, 0, 0].flatMap((value) => [value, value, value, 255]);
    const dataset = await loadFolder({ ...(await oneMask(pixels, 4)), ...uncached });
    expect(Array.from(dataset.masks.data)).toEqual([0, 1, 0, 1, 0, 0, 0, 0]);
  });
});

describe('loadFolder: pairing and errors', () => {
  const width = 4;
  const height = 4;

  async function pairFolder(stems: string[], maskFiles: string[], sizes: Record<string, [number, number]> = {}) {
    const images = folder('pairs');
    const masks = folder('pairs-masks');
    for (const stem of stems) {
      const [w, h] = sizes[stem] ?? [width, height];
      await writePixels(join(images, `${stem}.png`), gradientRgb(w, h), w, h, 3);
    }
    for (const file of maskFiles) {
      const stem = file.replace(/(_mask)?\.png$/, '');
      const [w, h] = sizes[stem] ?? [width, height];
      await writePixels(join(masks, file), halfMask(w, h, 255), w, h, 1);
    }
    return { images, masks };
  }

  it('pairs a mask named stem.png or stem_mask.png, and ignores files that are not images', async () => {
    const { images, masks } = await pairFolder(['a', 'b'], ['a.png', 'b_mask.png']);
    writeFileSync(join(images, 'README.txt'), 'notes');
    writeFileSync(join(masks, '.DS_Store'), 'junk');
    const dataset = await loadFolder({ images, masks, ...uncached });
    expect(dataset.names).toEqual(['a', 'b']);
  });

  it('reads images and masks from one folder when the masks carry a suffix', async () => {
    const images = folder('same');
    await writePixels(join(images, 'x.png'), gradientRgb(width, height), width, height, 3);
    await writePixels(join(images, 'x_mask.png'), halfMask(width, height, 255), width, height, 1);
    const dataset = await loadFolder({ images, masks: images, ...uncached });
    expect(dataset.names).toEqual(['x']);
    expect(Array.from(dataset.masks.data.subarray(0, 4))).toEqual([1, 1, 0, 0]);
  });

  it('lists every unpaired file in one error with the count of good pairs', async () => {
    const { images, masks } = await pairFolder(['a', 'b', 'c', 'd'], ['a.png', 'b_mask.png', 'e.png']);
    const error = (await loadFolder({ images, masks, ...uncached }).catch((caught: Error) => caught)) as Error & { problems: string[] };
    expect(error.message).toMatch(/^loadFolder: 3 files are not paired \(2 good pairs\):/);
    expect(error.message).toContain(`${join(images, 'c.png')}: no mask in ${masks}`);
    expect(error.message).toContain(`${join(images, 'd.png')}: no mask in ${masks}`);
    expect(error.message).toContain(`${join(masks, 'e.png')}: no image with its stem in ${images}`);
    expect(error.problems).toHaveLength(3);
  });

  it('refuses two masks for one image', async () => {
    const { images, masks } = await pairFolder(['a'], ['a.png', 'a_mask.png']);
    await expect(loadFolder({ images, masks, ...uncached })).rejects.toThrow(`${join(images, 'a.png')}: more than one mask (a.png, a_mask.png)`);
  });

  it('names every unreadable file, with the count of good pairs', async () => {
    const side: [number, number] = [64, 64];
    const { images, masks } = await pairFolder(['a', 'b', 'c'], ['a.png', 'b.png', 'c.png'], { a: side, b: side, c: side });
    writeFileSync(join(images, 'b.png'), 'this is not a PNG');
    // A valid header with the pixel data cut off: the size reads, the decoding fails.
    await sharp(Buffer.alloc(64 * 64 * 3, 90), { raw: { width: 64, height: 64, channels: 3 } }).png({ compressionLevel: 0 }).toFile(join(images, 'c.png'));
    await writePixels(join(masks, 'c.png'), halfMask(64, 64, 255), 64, 64, 1);
    const image = readFileSync(join(images, 'c.png'));
    writeFileSync(join(images, 'c.png'), image.subarray(0, image.length / 2));
    const error = (await loadFolder({ images, masks, ...uncached }).catch((caught: Error) => caught)) as Error;
    expect(error).not.toBeInstanceOf(RangeError);
    expect(error.message).toContain(`${join(images, 'b.png')}: cannot read`);
    expect(error.message).toContain(`${join(images, 'c.png')}: cannot decode`);
    expect(error.message).toContain('(1 good pair)');
  });

  it('refuses a mask of another size than its image', async () => {
    const { images, masks } = await pairFolder(['a'], []);
    await writePixels(join(masks, 'a.png'), halfMask(2, 2, 255), 2, 2, 1);
    await expect(loadFolder({ images, masks, ...uncached })).rejects.toThrow(`${join(masks, 'a.png')}: 2x2, but its image is 4x4`);
  });

  it('refuses images of different sizes without size, naming the sizes', async () => {
    const sizes: Record<string, [number, number]> = { b: [8, 6] };
    const { images, masks } = await pairFolder(['a', 'b', 'c'], ['a.png', 'b.png', 'c.png'], sizes);
    await expect(loadFolder({ images, masks, ...uncached })).rejects.toThrow(
      `loadFolder: the images differ in size: 4x4 (2 files, e.g. ${join(images, 'a.png')}), 8x6 (1 file, e.g. ${join(images, 'b.png')}); pass options.size`,
    );
    const resized = await loadFolder({ images, masks, size: [2, 4], ...uncached });
    expect(resized.images.shape).toEqual([3, 3, 2, 4]);
    // Masks resized with nearest sampling: still only 0 and 1, left half foreground.
    expect(Array.from(resized.masks.data.subarray(8, 16))).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
  });

  it('crops at seeded random places: the same seed, the same crops', async () => {
    const { images, masks } = await pairFolder(['a', 'b', 'c'], ['a.png', 'b.png', 'c.png'], { a: [16, 16], b: [16, 16], c: [16, 16] });
    const crop = (seed: number) => loadFolder({ images, masks, size: 8, fit: 'crop', seed, ...uncached });
    const [first, again, other] = await Promise.all([crop(1), crop(1), crop(2)]);
    expect(first.images.shape).toEqual([3, 3, 8, 8]);
    expect(Array.from(again.images.data)).toEqual(Array.from(first.images.data));
    expect(Array.from(other.images.data)).not.toEqual(Array.from(first.images.data));
    // A crop is a window of the gradient: red is x * 20, green y * 30 at every pixel of it.
    const x0 = Math.round((first.images.data[0] * 255) / 20);
    const y0 = Math.round((first.images.data[64] * 255) / 30);
    expect(first.images.data[7] * 255).toBeCloseTo((x0 + 7) * 20, 3);
    expect(first.images.data[64 + 8 * 5] * 255).toBeCloseTo((y0 + 5) * 30, 3);
    // The mask takes the same window: foreground where x < 8.
    expect(first.masks.data[0]).toBe(x0 < 8 ? 1 : 0);
    await expect(loadFolder({ images, masks, size: 32, fit: 'crop', ...uncached })).rejects.toThrow('16x16 is smaller than the crop, 32x32');
  });

  it('says which folder is missing or empty', async () => {
    const empty = folder('empty');
    const { images, masks } = await pairFolder(['a'], ['a.png']);
    await expect(loadFolder({ images: join(root, 'nowhere'), masks, ...uncached })).rejects.toThrow(
      `loadFolder: options.images: the folder ${join(root, 'nowhere')} does not exist`,
    );
    await expect(loadFolder({ images: empty, masks, ...uncached })).rejects.toThrow(`loadFolder: options.images: no image files (.png, .jpg, .jpeg, .tif, .tiff, .webp) in ${empty}`);
    await expect(loadFolder({ images, masks: empty, ...uncached })).rejects.toThrow('loadFolder: options.masks: no mask files');
  });

  it('checks its options', async () => {
    const { images, masks } = await pairFolder(['a'], ['a.png']);
    await expect(loadFolder({ images, masks, channels: 2 as 1 })).rejects.toThrow('options.channels: expected 1, 3 or 4 channels, got 2');
    await expect(loadFolder({ images, masks, fit: 'crop' })).rejects.toThrow('options.fit: needs options.size');
    await expect(loadFolder({ images, masks, size: [4] as unknown as number })).rejects.toThrow(TypeError);
    await expect(loadFolder({ images, masks, classes: 0 })).rejects.toThrow('options.classes: expected an integer from 1 to 256, got 0');
    await expect(loadFolder({ images, masks, colour: 3 } as never)).rejects.toThrow('options.colour: unknown option');
    await expect(loadFolder({ masks } as never)).rejects.toThrow('options.images: expected a folder path, got undefined');
  });
});

describe('loadFolder: cache', () => {
  async function countingLoad(options: { images: string; masks: string; cache?: string | false }) {
    let decoded = 0;
    const dataset = await loadFolder({ ...options, channels: 1, onProgress: () => decoded++ });
    return { dataset, decoded };
  }
  const same = (a: Dataset, b: Dataset) => {
    expect(b.names).toEqual(a.names);
    expect(b.images.shape).toEqual(a.images.shape);
    expect(Buffer.from(b.images.data.buffer).equals(Buffer.from(a.images.data.buffer))).toBe(true);
    expect(Buffer.from(b.masks.data.buffer).equals(Buffer.from(a.masks.data.buffer))).toBe(true);
  };

  it('decodes once: a second load reads the cache file, exactly the same data', async () => {
    const cache = folder('cache');
    const images = folder('cached-images');
    const masks = join(DSB, 'masks');
    for (const file of readdirSync(join(DSB, 'images'))) copyFileSync(join(DSB, 'images', file), join(images, file));

    const first = await countingLoad({ images, masks, cache });
    expect(first.decoded).toBe(3);
    const files = readdirSync(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{32}\.dataset$/);

    const second = await countingLoad({ images, masks, cache });
    expect(second.decoded).toBe(0);
    same(first.dataset, second.dataset);

    // Other options are another cache file.
    const three = await loadFolder({ images, masks, cache, channels: 3 });
    expect(three.images.shape[1]).toBe(3);
    expect(readdirSync(cache)).toHaveLength(2);

    // A file that changed (its modification time) misses the cache.
    const touched = join(images, readdirSync(images)[0]);
    utimesSync(touched, new Date(), new Date(Date.now() + 5000));
    expect((await countingLoad({ images, masks, cache })).decoded).toBe(3);
    expect(readdirSync(cache)).toHaveLength(3);
  });

  it('ignores a corrupt cache file and writes it again', async () => {
    const cache = folder('corrupt-cache');
    const options = { images: join(DSB, 'images'), masks: join(DSB, 'masks'), cache };
    const first = await countingLoad(options);
    const file = join(cache, readdirSync(cache)[0]);
    const size = readFileSync(file).length;
    for (const damage of ['truncate', 'flip', 'garbage']) {
      if (damage === 'truncate') truncateSync(file, size - 100);
      if (damage === 'flip') {
        const bytes = readFileSync(file);
        bytes[bytes.length - 5000] ^= 0xff;
        writeFileSync(file, bytes);
      }
      if (damage === 'garbage') writeFileSync(file, 'not a cache');
      const again = await countingLoad(options);
      expect(again.decoded).toBe(3);
      same(first.dataset, again.dataset);
      expect(readFileSync(file).length).toBe(size);
      expect((await countingLoad(options)).decoded).toBe(0);
    }
    // No temporary files left behind by the atomic writes.
    expect(readdirSync(cache)).toEqual([readdirSync(cache)[0]]);
  });

  it('loads anyway, with a warning, when the cache cannot be written', async () => {
    const blocker = join(folder('unwritable'), 'a-file');
    writeFileSync(blocker, 'x');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const { dataset, decoded } = await countingLoad({ images: join(DSB, 'images'), masks: join(DSB, 'masks'), cache: join(blocker, 'cache') });
      expect(decoded).toBe(3);
      expect(dataset.names).toHaveLength(3);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`loadFolder: cache not written: cannot write ${join(blocker, 'cache')}`));
    } finally {
      warn.mockRestore();
    }
  });

  it('defaults to $XDG_CACHE_HOME/torch-unet, and cache: false writes nothing', async () => {
    const xdg = folder('xdg');
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = xdg;
    try {
      const options = { images: join(DSB, 'images'), masks: join(DSB, 'masks') };
      await countingLoad({ ...options, cache: false });
      expect(readdirSync(xdg)).toEqual([]);
      await countingLoad(options);
      expect(readdirSync(join(xdg, 'torch-unet'))).toHaveLength(1);
      expect((await countingLoad(options)).decoded).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});

describe('splitDataset', () => {
  const dataset = shapes({ count: 20, size: 16, seed: 3 });

  it('is reproducible for a seed, disjoint and complete, and copies the right images', () => {
    const first = splitDataset(dataset, { validation: 0.25, seed: 7 });
    const again = splitDataset(dataset, { validation: 0.25, seed: 7 });
    const other = splitDataset(dataset, { validation: 0.25, seed: 8 });
    expect(again.validation.names).toEqual(first.validation.names);
    expect(other.validation.names).not.toEqual(first.validation.names);
    expect(first.validation.names).toHaveLength(5);
    expect(first.train.names).toHaveLength(15);
    expect([...first.train.names, ...first.validation.names].sort()).toEqual([...dataset.names].sort());
    expect(first.validation.images.shape).toEqual([5, 1, 16, 16]);
    expect(first.validation.masks.shape).toEqual([5, 1, 16, 16]);
    const plane = 16 * 16;
    const source = dataset.names.indexOf(first.validation.names[2]);
    expect(Array.from(first.validation.images.data.subarray(2 * plane, 3 * plane))).toEqual(Array.from(dataset.images.data.subarray(source * plane, (source + 1) * plane)));
    expect(Array.from(first.validation.masks.data.subarray(2 * plane, 3 * plane))).toEqual(Array.from(dataset.masks.data.subarray(source * plane, (source + 1) * plane)));
  });

  it('keeps at least one image on each side, and checks its options', () => {
    const two = shapes({ count: 2, size: 16 });
    expect(splitDataset(two, { validation: 0.01 }).validation.names).toHaveLength(1);
    expect(splitDataset(two, { validation: 0.99 }).train.names).toHaveLength(1);
    expect(() => splitDataset(dataset, { validation: 1 })).toThrow('options.validation: expected a number in (0, 1), got 1');
    expect(() => splitDataset(shapes({ count: 1, size: 16 }), { validation: 0.5 })).toThrow('expected at least 2 images to split, got 1');
    expect(() => splitDataset({} as Dataset, { validation: 0.5 })).toThrow(TypeError);
  });
});

/** An independent oracle: is the point inside the shape (polygons by the angle their vertices subtend)? */
function contains(shape: ShapeObject, px: number, py: number): boolean {
  if (shape.kind === 'circle') return Math.hypot(px - shape.x, py - shape.y) < Math.sqrt(shape.area / Math.PI);
  const corners = shape.kind === 'square' ? 4 : 3;
  let winding = 0;
  for (let i = 0; i < corners; i++) {
    const a = shape.rotation + (2 * Math.PI * i) / corners;
    const b = shape.rotation + (2 * Math.PI * (i + 1)) / corners;
    const [ax, ay] = [shape.x + shape.radius * Math.cos(a) - px, shape.y + shape.radius * Math.sin(a) - py];
    const [bx, by] = [shape.x + shape.radius * Math.cos(b) - px, shape.y + shape.radius * Math.sin(b) - py];
    winding += Math.atan2(ax * by - ay * bx, ax * bx + ay * by);
  }
  return Math.abs(winding) > Math.PI;
}

describe('shapes', () => {
  it('is deterministic for a seed', () => {
    const a = shapes({ count: 10, size: 32, classes: 4, seed: 5 });
    const b = shapes({ count: 10, size: 32, classes: 4, seed: 5 });
    const c = shapes({ count: 10, size: 32, classes: 4, seed: 6 });
    expect(Array.from(b.images.data)).toEqual(Array.from(a.images.data));
    expect(Array.from(b.masks.data)).toEqual(Array.from(a.masks.data));
    expect(Array.from(c.masks.data)).not.toEqual(Array.from(a.masks.data));
    expect(a.names[3]).toBe('shape-00003');
  });

  it('has exact masks: each pixel is its shape’s class where its centre lies in the shape', () => {
    const size = 64;
    const set = shapes({ count: 30, size, classes: 4, seed: 11 });
    expect(set.images.shape).toEqual([30, 1, size, size]);
    let pixels = 0;
    let area = 0;
    const kinds = new Map<string, number>();
    const expected = new Uint8Array(set.masks.data.length);
    set.objects.forEach((objects, n) => {
      expect(objects.length).toBeGreaterThanOrEqual(1);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const near = (shape: ShapeObject) => Math.hypot(shape.x - x - 0.5, shape.y - y - 0.5) <= shape.radius;
          const inside = objects.find((shape) => near(shape) && contains(shape, x + 0.5, y + 0.5));
          expected[n * size * size + y * size + x] = inside ? inside.label : 0;
        }
      }
      for (const shape of objects) {
        kinds.set(shape.kind, (kinds.get(shape.kind) ?? 0) + 1);
        expect(shape.label).toBe(['circle', 'square', 'triangle'].indexOf(shape.kind) + 1);
        area += shape.area;
      }
      pixels += set.masks.data.subarray(n * size * size, (n + 1) * size * size).filter((value) => value > 0).length;
    });
    expect(Buffer.from(set.masks.data).equals(expected)).toBe(true);
    // Pixel counts match the analytic areas (pixel-centre sampling is unbiased).
    expect(Math.abs(pixels - area) / area).toBeLessThan(0.01);
    // All three kinds appear in about equal numbers.
    for (const kind of ['circle', 'square', 'triangle']) expect(kinds.get(kind)).toBeGreaterThan(12);
  });

  it('draws each shape in one intensity over the background (noise 0), within [0, 1]', () => {
    const set = shapes({ count: 5, size: 32, noise: 0, seed: 2 });
    const plane = 32 * 32;
    set.objects.forEach((objects, n) => {
      for (const shape of objects) {
        const values = new Set<number>();
        for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if (contains(shape, x + 0.5, y + 0.5)) values.add(set.images.data[n * plane + y * 32 + x]);
        expect(values.size).toBe(1);
      }
    });
    expect(set.images.data.every((value) => value >= 0 && value <= 1)).toBe(true);
    expect(set.masks.data.every((value) => value <= 1)).toBe(true);
  });

  it('labels kinds beyond the classes as background, and makes colour images', () => {
    const set = shapes({ count: 30, size: 32, classes: 2, channels: 3, seed: 4 });
    expect(set.images.shape).toEqual([30, 3, 32, 32]);
    const labels = set.objects.flat().map((shape) => [shape.kind, shape.label]);
    expect(new Set(labels.map(String))).toEqual(new Set(['circle,1', 'square,0', 'triangle,0']));
    expect(() => shapes({ classes: 5 })).toThrow('options.classes: expected an integer from 1 to 4, got 5');
  });
});

describe('loadImage and writeMask', () => {
  it('loads one image at its own size as 1 x C x H x W', async () => {
    const path = join(folder('one'), 'wide.png');
    await writePixels(path, gradientRgb(5, 3), 5, 3, 3);
    const { image, width, height } = await loadImage(path);
    expect([width, height]).toEqual([5, 3]);
    expect(image.shape).toEqual([1, 3, 3, 5]);
    expect(image.data[15 + 5 + 2]).toBeCloseTo(30 / 255, 6); // green at x = 2, y = 1
    expect((await loadImage(path, { channels: 1 })).image.shape).toEqual([1, 1, 3, 5]);
    await expect(loadImage(join(root, 'missing.png'))).rejects.toThrow(`cannot read the image ${join(root, 'missing.png')}`);
  });

  it('writes binary masks as 0/255, class indices as palette colours or grey indices', async () => {
    const out = folder('written');
    const mask = { data: Int32Array.from([0, 1, 2, 0, 2, 1]), shape: [1, 1, 2, 3] };
    await writeMask(join(out, 'binary.png'), mask, { classes: 1 });
    // Grey PNGs (one channel in the file), read back as grey.
    const grey = async (file: string) => {
      expect((await sharp(join(out, file)).metadata()).channels).toBe(1);
      return Array.from(await sharp(join(out, file)).extractChannel(0).raw().toBuffer());
    };
    expect(await grey('binary.png')).toEqual([0, 255, 255, 0, 255, 255]);
    await writeMask(join(out, 'indices.png'), mask, { classes: 3, format: 'indices' });
    expect(await grey('indices.png')).toEqual([0, 1, 2, 0, 2, 1]);
    await writeMask(join(out, 'nested', 'palette.png'), { data: Uint8Array.from([2, 0]), shape: [1, 2] }, { classes: 3 });
    expect(Array.from(await sharp(join(out, 'nested', 'palette.png')).raw().toBuffer())).toEqual([...palette(3)[2], 0, 0, 0]);
    await expect(writeMask(join(out, 'bad.png'), mask, { classes: 2 })).rejects.toThrow('mask: value 2 at 2 is not a class index below 2 (classes)');
    await expect(writeMask(join(out, 'bad.png'), { data: new Uint8Array(8), shape: [2, 1, 2, 2] }, { classes: 2 })).rejects.toThrow('mask: expected one mask');
    expect(readdirSync(out).sort()).toEqual(['binary.png', 'indices.png', 'nested']);
  });

  it('writeFileAtomic names the path it cannot write', async () => {
    const blocker = join(folder('blocked'), 'file');
    writeFileSync(blocker, 'x');
    await expect(writeFileAtomic(join(blocker, 'inside.png'), 'data')).rejects.toThrow(`cannot write ${join(blocker, 'inside.png')}`);
  });
});
