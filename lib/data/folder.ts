// loadFolder: a folder of images and a folder of masks, paired by file stem, decoded into one Dataset.
import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

import {
  IMAGE_EXTENSIONS,
  MaskValueError,
  checkChannels,
  decodeImage,
  decodeMaskPixels,
  imageSize,
  maskClasses,
  parseMaskMap,
  type Channels,
  type Geometry,
} from './image_io.js';
import { checkOptions, integer, oneOf, seedCheck, typeError, type Check } from '../validate.js';
import { cacheFile, defaultCacheFolder, readCache, writeCache } from './cache.js';
import type { Dataset } from './dataset.js';
import { seededRandom } from './random.js';

export interface LoadFolderOptions {
  /** The folder of images. */
  images: string;
  /** The folder of masks; it may be the images' folder when masks carry a suffix (`a.png` and `a_mask.png`). */
  masks: string;
  /** Every image resized (or cropped) to this side, or [height, width]. Default: the images' own size, which must agree. */
  size?: number | [height: number, width: number];
  /** How images reach `size`: 'resize' (default; masks with nearest sampling) or 'crop' (one seeded random crop per image). */
  fit?: 'resize' | 'crop';
  /** Default 3. Grey, RGB and RGBA files are converted. */
  channels?: Channels;
  /** As UNet's `classes`: default 1 (binary: any nonzero mask pixel is foreground). */
  classes?: number;
  /** '#rrggbb' colour -> class, for colour masks. Default: the colours of palette(classes). */
  maskMap?: Record<string, number>;
  /** Folder of the decoded-data cache, or false for none. Default `$XDG_CACHE_HOME/torch-unet` or `~/.cache/torch-unet`. */
  cache?: string | false;
  /** Seeds the crops. Default 0. */
  seed?: number;
  /** After each image decoded (not called when the cache answers). */
  onProgress?: (decoded: number, total: number) => void;
}

/** Mask file names: the image's stem, or the stem with one of these suffixes (any case). */
export const MASK_SUFFIXES = ['_mask', '-mask', '.mask', '_masks', '_label', '-label', '_labels'];

const CACHE_LAYOUT = 1;
const DECODE_CONCURRENCY = 4;
const LISTED_PROBLEMS = 20;

interface Pair {
  stem: string;
  image: string;
  mask: string;
}

const size: Check = (value, name) => {
  const sides = Array.isArray(value) ? value : [value];
  if (sides.length !== (Array.isArray(value) ? 2 : 1)) throw typeError(name, 'a side or [height, width]', value);
  sides.forEach((side, index) => integer(1, 65536)(side, Array.isArray(value) ? `${name}[${index}]` : name));
};

const folderPath: Check = (value, name) => {
  if (typeof value !== 'string' || value === '') throw typeError(name, 'a folder path', value);
};

const schema: Record<keyof LoadFolderOptions, Check> = {
  images: folderPath,
  masks: folderPath,
  size,
  fit: oneOf('resize', 'crop'),
  channels: checkChannels,
  classes: integer(1, 256),
  maskMap: () => undefined, // checked against classes below
  cache: (value, name) => {
    if (value !== false && (typeof value !== 'string' || value === '')) throw typeError(name, 'a folder path or false', value);
  },
  seed: seedCheck,
  onProgress: (value, name) => {
    if (typeof value !== 'function') throw typeError(name, 'a function', value);
  },
};

const stemOf = (file: string) => file.slice(0, file.length - extname(file).length);
const isImageFile = (file: string) => !file.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(file).toLowerCase());
const maskSuffix = (stem: string) => MASK_SUFFIXES.find((suffix) => stem.toLowerCase().endsWith(suffix));

/**
 * The one error that lists every file that cannot be used, with how many pairs were fine; `problems` holds the
 * lines. A RangeError when every problem is a mask value out of range.
 */
function datasetError(problems: string[], goodPairs: number, what: string, kind: ErrorConstructor = Error): Error {
  const listed = problems.slice(0, LISTED_PROBLEMS).map((problem) => `\n  ${problem}`).join('');
  const more = problems.length > LISTED_PROBLEMS ? `\n  ...and ${problems.length - LISTED_PROBLEMS} more` : '';
  const message = `loadFolder: ${problems.length} ${what} (${goodPairs} good pair${goodPairs === 1 ? '' : 's'}):${listed}${more}`;
  return Object.assign(new kind(message), { problems, goodPairs });
}

async function imageFiles(folder: string, name: string): Promise<string[]> {
  let entries;
  try {
    if (!(await stat(folder)).isDirectory()) throw new Error(`${folder} is not a folder`);
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? `the folder ${folder} does not exist` : (error as Error).message;
    throw new Error(`loadFolder: options.${name}: ${reason}`, { cause: error });
  }
  return entries.filter((entry) => entry.isFile() && isImageFile(entry.name)).map((entry) => entry.name).sort();
}

/** Pairs by stem; every image without its mask, mask without its image, or ambiguous pair is one problem. */
export function pairFiles(imageFolder: string, imageNames: string[], maskFolder: string, maskNames: string[]) {
  const problems: string[] = [];
  const masksByStem = new Map<string, string[]>();
  for (const mask of maskNames) {
    const stem = stemOf(mask);
    const suffix = maskSuffix(stem);
    const stems = suffix ? [stem, stem.slice(0, stem.length - suffix.length)] : [stem];
    for (const key of stems) masksByStem.set(key, [...(masksByStem.get(key) ?? []), mask]);
  }
  const imagesByStem = new Map<string, string[]>();
  for (const image of imageNames) imagesByStem.set(stemOf(image), [...(imagesByStem.get(stemOf(image)) ?? []), image]);
  const used = new Set<string>();
  const pairs: Pair[] = [];
  for (const [stem, images] of imagesByStem) {
    const masks = masksByStem.get(stem) ?? [];
    if (images.length > 1) {
      problems.push(`${images.map((image) => join(imageFolder, image)).join(', ')}: more than one image with the stem '${stem}'`);
    } else if (masks.length === 0) {
      problems.push(`${join(imageFolder, images[0])}: no mask in ${maskFolder} (looked for ${stem}.*, ${stem}_mask.*)`);
    } else if (masks.length > 1) {
      problems.push(`${join(imageFolder, images[0])}: more than one mask (${masks.join(', ')})`);
    } else {
      pairs.push({ stem, image: join(imageFolder, images[0]), mask: join(maskFolder, masks[0]) });
    }
    masks.forEach((mask) => used.add(mask));
  }
  for (const mask of maskNames) if (!used.has(mask)) problems.push(`${join(maskFolder, mask)}: no image with its stem in ${imageFolder}`);
  return { pairs, problems };
}

async function mapLimit<T, R>(items: T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function describeSizes(sizes: Map<string, string[]>): string {
  return [...sizes]
    .map(([dimensions, files]) => `${dimensions} (${files.length} file${files.length > 1 ? 's' : ''}, e.g. ${files[0]})`)
    .join(', ');
}

/**
 * Loads a folder of images and a folder of masks (PNG, JPEG, TIFF, WebP) paired by file stem. Masks: grey
 * {0, 255} or {0, 1} (one class), grey class indices below `classes`, or colours mapped by `maskMap`. Every
 * file that cannot be used is listed in one error. The decoded data is cached (see `cache`).
 */
export async function loadFolder(options: LoadFolderOptions): Promise<Dataset> {
  if (options === undefined) throw typeError('options', 'an options object with images and masks', options);
  const checked = checkOptions<LoadFolderOptions>(options, 'options', schema);
  const { images, masks, fit = 'resize', channels = 3, classes = 1, seed = 0, onProgress } = checked;
  if (images === undefined) throw typeError('options.images', 'a folder path', images);
  if (masks === undefined) throw typeError('options.masks', 'a folder path', masks);
  if (checked.fit !== undefined && checked.size === undefined) throw new TypeError("options.fit: needs options.size (the size to resize or crop to)");
  const maskMap = checked.maskMap === undefined ? undefined : parseMaskMap(checked.maskMap, classes, 'options.maskMap');
  const [height, width] = checked.size === undefined ? [] : Array.isArray(checked.size) ? checked.size : [checked.size, checked.size];

  const sameFolder = resolve(images) === resolve(masks);
  const imageNames = await imageFiles(images, 'images');
  const maskNames = sameFolder ? imageNames.filter((file) => maskSuffix(stemOf(file))) : await imageFiles(masks, 'masks');
  const ownImages = sameFolder ? imageNames.filter((file) => !maskSuffix(stemOf(file))) : imageNames;
  if (ownImages.length === 0) {
    throw new Error(`loadFolder: options.images: no image files (${IMAGE_EXTENSIONS.join(', ')}) in ${images}`);
  }
  if (maskNames.length === 0) throw new Error(`loadFolder: options.masks: no mask files (${IMAGE_EXTENSIONS.join(', ')}) in ${masks}`);
  const { pairs, problems } = pairFiles(images, ownImages, masks, maskNames);
  if (problems.length > 0) throw datasetError(problems, pairs.length, problems.length === 1 ? 'file is not paired' : 'files are not paired');

  const cacheFolder = checked.cache === undefined ? defaultCacheFolder() : checked.cache;
  let cachePath: string | undefined;
  if (cacheFolder !== false) {
    const files = await Promise.all(
      pairs.flatMap(({ image, mask }) => [image, mask]).map(async (file) => {
        const { size: bytes, mtimeMs } = await stat(file);
        return [resolve(file), bytes, mtimeMs];
      }),
    );
    // Only what changes the pixels: the seed matters to crops alone.
    const geometry = height === undefined ? 'own size' : { height, width, fit, seed: fit === 'crop' ? seed : undefined };
    const key = { layout: CACHE_LAYOUT, channels, classes, geometry, maskMap: maskMap && [...maskMap].sort(), files };
    cachePath = cacheFile(cacheFolder, key);
    const cached = await readCache(cachePath);
    if (cached) return cached;
  }

  const dataset = await decodePairs(pairs, { channels, classes, maskMap, height, width, fit, seed, onProgress });
  if (cachePath) {
    // The cache only saves time: a folder that cannot be written is a warning, not a failure.
    await writeCache(cachePath, dataset).catch((error: Error) => process.emitWarning(`loadFolder: cache not written: ${error.message}`));
  }
  return dataset;
}

interface DecodeOptions {
  channels: Channels;
  classes: number;
  maskMap?: Map<number, number>;
  height?: number;
  width?: number;
  fit: 'resize' | 'crop';
  seed: number;
  onProgress?: (decoded: number, total: number) => void;
}

/** Collects the problems of each pair, so that all of them are reported together. */
class Problems {
  readonly lines: string[] = [];
  readonly badPairs = new Set<number>();
  valueProblems = 0;

  add(pair: number, line: string, isValue = false): void {
    this.lines.push(line);
    this.badPairs.add(pair);
    if (isValue) this.valueProblems++;
  }

  throwIfAny(pairs: number): void {
    if (this.lines.length === 0) return;
    const kind = this.valueProblems === this.lines.length ? RangeError : Error;
    const what = this.lines.length === 1 ? 'file cannot be used' : 'files cannot be used';
    throw datasetError([...this.lines].sort(), pairs - this.badPairs.size, what, kind);
  }
}

/** Reads the headers (sizes must agree), then decodes every pair. */
async function decodePairs(pairs: Pair[], options: DecodeOptions): Promise<Dataset> {
  const { channels, classes, maskMap, fit } = options;
  const problems = new Problems();
  const readSize = (file: string, pair: number) =>
    imageSize(file).catch((error: Error) => void problems.add(pair, `${file}: cannot read: ${error.message}`));
  const sizes = await mapLimit(pairs, DECODE_CONCURRENCY * 4, async ({ image, mask }, pair) => {
    const [imageDimensions, maskDimensions] = await Promise.all([readSize(image, pair), readSize(mask, pair)]);
    if (!imageDimensions || !maskDimensions) return { width: 0, height: 0 };
    if (imageDimensions.width !== maskDimensions.width || imageDimensions.height !== maskDimensions.height) {
      const sizeOf = ({ width, height }: { width: number; height: number }) => `${width}x${height}`;
      problems.add(pair, `${mask}: ${sizeOf(maskDimensions)}, but its image is ${sizeOf(imageDimensions)}`);
    }
    return imageDimensions;
  });
  // Unreadable pairs are left out from here on, so that one error lists the problems of every stage.
  const readable = pairs.map((_, pair) => pair).filter((pair) => !problems.badPairs.has(pair));
  if (readable.length === 0) problems.throwIfAny(pairs.length);

  let height = options.height;
  let width = options.width;
  if (height === undefined || width === undefined) {
    const bySize = new Map<string, string[]>();
    readable.forEach((pair) => {
      const key = `${sizes[pair].width}x${sizes[pair].height}`;
      bySize.set(key, [...(bySize.get(key) ?? []), pairs[pair].image]);
    });
    if (bySize.size > 1) {
      throw new RangeError(`loadFolder: the images differ in size: ${describeSizes(bySize)}; pass options.size to resize or crop them`);
    }
    ({ width, height } = sizes[readable[0]]);
  }

  const uniform = seededRandom(options.seed);
  const geometries: Geometry[] = sizes.map((dimensions, pair) => {
    const { width: fullWidth, height: fullHeight } = dimensions;
    if (problems.badPairs.has(pair) || (fullWidth === width && fullHeight === height)) return { kind: 'whole' };
    if (fit === 'resize') return { kind: 'resize', width, height };
    if (fullWidth < width || fullHeight < height) {
      problems.add(pair, `${pairs[pair].image}: ${fullWidth}x${fullHeight} is smaller than the crop, ${width}x${height}`);
      return { kind: 'whole' };
    }
    const left = Math.floor(uniform() * (fullWidth - width + 1));
    const top = Math.floor(uniform() * (fullHeight - height + 1));
    return { kind: 'crop', left, top, width, height };
  });

  const plane = height * width;
  const images = new Float32Array(pairs.length * channels * plane);
  const masks = new Uint8Array(pairs.length * plane);
  let decoded = 0;
  await mapLimit(pairs, DECODE_CONCURRENCY, async ({ image, mask }, pair) => {
    if (problems.badPairs.has(pair)) return;
    try {
      images.set((await decodeImage(image, channels, geometries[pair])).data, pair * channels * plane);
    } catch (error) {
      problems.add(pair, `${image}: cannot decode: ${(error as Error).message}`);
    }
    try {
      const { rgb, width: maskWidth } = await decodeMaskPixels(mask, geometries[pair]);
      masks.set(maskClasses(rgb, maskWidth, classes, maskMap), pair * plane);
    } catch (error) {
      const isValue = error instanceof MaskValueError;
      problems.add(pair, `${mask}: ${isValue ? '' : 'cannot decode: '}${(error as Error).message}`, isValue);
    }
    options.onProgress?.(++decoded, pairs.length);
  });
  problems.throwIfAny(pairs.length);
  return {
    images: { data: images, shape: [pairs.length, channels, height, width], dtype: 'float32' },
    masks: { data: masks, shape: [pairs.length, 1, height, width], dtype: 'uint8' },
    names: pairs.map(({ stem }) => stem),
    channels,
    classes,
  };
}
