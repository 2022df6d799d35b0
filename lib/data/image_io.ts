// Reading images and masks from files (PNG, JPEG, TIFF, WebP, through sharp) and writing masks as PNG.
import sharp, { type Sharp } from 'sharp';

import { writeFileAtomic, checkPath } from '../files.js';
import { hexColour, palette, type Colour } from '../pictures/palette.js';
import { checkTensor, shapeText, type Tensor, type TensorLike } from '../tensor.js';
import { checkOptions, integer, oneOf, rangeError } from '../validate.js';

/** The file name endings read as images and masks (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp'];

export type Channels = 1 | 3 | 4;

/** Where the pixels come from: the whole image, resized to a size, or a crop of it. */
export type Geometry =
  | { kind: 'whole' }
  | { kind: 'resize'; width: number; height: number }
  | { kind: 'crop'; left: number; top: number; width: number; height: number };

export const checkChannels = (value: unknown, name: string) => {
  if (value !== 1 && value !== 3 && value !== 4) throw rangeError(name, '1, 3 or 4 channels', value);
};

function withGeometry(pipeline: Sharp, geometry: Geometry, kernel: 'lanczos3' | 'nearest'): Sharp {
  if (geometry.kind === 'resize') return pipeline.resize(geometry.width, geometry.height, { fit: 'fill', kernel });
  if (geometry.kind === 'crop') return pipeline.extract(geometry);
  return pipeline;
}

/** Width and height from the file's header, without decoding the pixels. */
export async function imageSize(path: string): Promise<{ width: number; height: number }> {
  const { width, height } = await sharp(path).metadata();
  if (!width || !height) throw new Error('no image size in the file');
  return { width, height };
}

/**
 * 8-bit pixels (16-bit files are scaled down) of a file or of its bytes as float C x H x W in [0, 1]. Grey, RGB
 * and RGBA images become
 * `channels`: grey is repeated, colour is converted to luminance, and transparency is flattened onto black (or
 * kept, for 4 channels). Images of more than `maxPixels` (default sharp's 0x3FFF x 0x3FFF) are refused.
 */
export async function decodeImage(
  source: string | Uint8Array,
  channels: Channels,
  geometry: Geometry = { kind: 'whole' },
  maxPixels?: number,
): Promise<{ data: Float32Array; width: number; height: number }> {
  const { data, width, height } = await decodePixels(source, channels, geometry, maxPixels);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] / 255;
  return { data: out, width, height };
}

/** decodeImage's pixels before they become [0, 1]: uint8 C x H x W (for one channel, sharp's buffer itself). */
export async function decodePixels(
  source: string | Uint8Array,
  channels: Channels,
  geometry: Geometry = { kind: 'whole' },
  maxPixels?: number,
): Promise<{ data: Uint8Array; width: number; height: number }> {
  let pipeline = withGeometry(sharp(source, maxPixels === undefined ? {} : { limitInputPixels: maxPixels }), geometry, 'lanczos3');
  if (channels === 1) pipeline = pipeline.flatten({ background: '#000000' }).greyscale();
  else if (channels === 3) pipeline = pipeline.flatten({ background: '#000000' }).toColourspace('srgb');
  else pipeline = pipeline.ensureAlpha().toColourspace('srgb');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new Error(`decoded ${info.channels} channels where ${channels} were asked`);
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (channels === 1) return { data: pixels, width: info.width, height: info.height };
  const plane = info.width * info.height;
  const out = new Uint8Array(channels * plane);
  for (let pixel = 0; pixel < plane; pixel++) {
    for (let channel = 0; channel < channels; channel++) out[channel * plane + pixel] = pixels[pixel * channels + channel];
  }
  return { data: out, width: info.width, height: info.height };
}

/** A mask's pixels as 8-bit RGB (grey repeated), resized with nearest sampling so that no new values appear. */
export async function decodeMaskPixels(path: string, geometry: Geometry = { kind: 'whole' }) {
  const pipeline = withGeometry(sharp(path), geometry, 'nearest').removeAlpha().toColourspace('srgb');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels where 3 were asked`);
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** A mask file's problem: a value that is no class, or a colour that maps to none. */
export class MaskValueError extends RangeError {}

const colourKey = (rgb: Uint8Array, at: number) => (rgb[at] << 16) | (rgb[at + 1] << 8) | rgb[at + 2];

/**
 * RGB mask pixels to class indices. Grey masks: for one class any nonzero value is foreground, else the value is
 * the class index. Colour masks: through `maskMap` ('#rrggbb' -> class), by default the palette's colours;
 * for one class any colour but black is foreground.
 */
export function maskClasses(rgb: Uint8Array, width: number, classes: number, maskMap?: Map<number, number>): Uint8Array {
  const plane = rgb.length / 3;
  const out = new Uint8Array(plane);
  const where = (pixel: number) => `at x=${pixel % width}, y=${Math.floor(pixel / width)}`;
  let grey = !maskMap;
  for (let pixel = 0; grey && pixel < plane; pixel++) grey = rgb[3 * pixel] === rgb[3 * pixel + 1] && rgb[3 * pixel] === rgb[3 * pixel + 2];
  if (grey || (classes === 1 && !maskMap)) {
    for (let pixel = 0; pixel < plane; pixel++) {
      const value = Math.max(rgb[3 * pixel], rgb[3 * pixel + 1], rgb[3 * pixel + 2]);
      if (classes === 1) out[pixel] = value > 0 ? 1 : 0;
      else if (value >= classes) {
        throw new MaskValueError(
          `mask value ${value} ${where(pixel)} is not a class index below ${classes} (classes)` +
            (value === 255 ? '; a {0, 255} mask is binary: classes 1' : ''),
        );
      } else out[pixel] = value;
    }
    return out;
  }
  const map = maskMap ?? paletteMap(classes);
  for (let pixel = 0; pixel < plane; pixel++) {
    const key = colourKey(rgb, 3 * pixel);
    const value = map.get(key);
    if (value === undefined) {
      const colour = hexColour([rgb[3 * pixel], rgb[3 * pixel + 1], rgb[3 * pixel + 2]]);
      throw new MaskValueError(`mask colour ${colour} ${where(pixel)} is not in ${maskMap ? 'maskMap' : `the palette of ${classes} classes; pass maskMap`}`);
    }
    out[pixel] = value;
  }
  return out;
}

function paletteMap(classes: number): Map<number, number> {
  return new Map(palette(classes).map(([red, green, blue], index) => [(red << 16) | (green << 8) | blue, index]));
}

/** '#rrggbb' -> class, checked, as the integer keys maskClasses looks up. */
export function parseMaskMap(maskMap: unknown, classes: number, name: string): Map<number, number> {
  if (typeof maskMap !== 'object' || maskMap === null || Array.isArray(maskMap)) {
    throw new TypeError(`${name}: expected an object of '#rrggbb' colours to class indices, got ${String(maskMap)}`);
  }
  const map = new Map<number, number>();
  const largest = Math.max(1, classes - 1);
  for (const [colour, value] of Object.entries(maskMap)) {
    if (!/^#[0-9a-f]{6}$/i.test(colour)) throw new TypeError(`${name}: expected '#rrggbb' colours as keys, got '${colour}'`);
    integer(0, largest)(value, `${name}['${colour}']`);
    map.set(Number.parseInt(colour.slice(1), 16), value as number);
  }
  return map;
}

export interface LoadImageOptions {
  /** Default 3. */
  channels?: Channels;
}

/** One image at its own size, as a float 1 x C x H x W batch in [0, 1], for predict. */
export async function loadImage(
  path: string,
  options: LoadImageOptions = {},
): Promise<{ image: Tensor<Float32Array>; width: number; height: number }> {
  checkPath(path, 'path');
  const { channels = 3 } = checkOptions<LoadImageOptions>(options, 'options', { channels: checkChannels });
  let decoded;
  try {
    decoded = await decodeImage(path, channels);
  } catch (error) {
    throw new Error(`cannot read the image ${path}: ${(error as Error).message}`, { cause: error });
  }
  const { data, width, height } = decoded;
  return { image: { data, shape: [1, channels, height, width], dtype: 'float32' }, width, height };
}

export interface WriteMaskOptions {
  /** As UNet's: 1 = binary. */
  classes: number;
  /**
   * More than one class: 'palette' (default) writes RGB in the palette's colours, which people can see and
   * loadFolder reads back; 'indices' writes grey class indices (0, 1, 2...). One class is always grey 0/255.
   */
  format?: 'palette' | 'indices';
}

/** The H x W plane of a mask whose other dimensions are all 1 (1 x 1 x H x W, 1 x H x W or H x W). */
export function maskPlane(value: unknown, name: string): { data: TensorLike['data']; height: number; width: number } {
  const mask = checkTensor(value, name);
  const { shape } = mask;
  if (shape.length < 2 || shape.slice(0, -2).some((size) => size !== 1)) {
    throw new RangeError(`${name}: expected one mask, 1 x 1 x H x W or H x W, got shape ${shapeText(shape)}`);
  }
  return { data: mask.data, height: shape[shape.length - 2], width: shape[shape.length - 1] };
}

/** Class indices (any dtype) as RGB in the palette's colours; values at or above `classes` are refused. */
export function colourise(data: TensorLike['data'], classes: number, name: string): Uint8Array {
  const colours: Colour[] = palette(classes);
  const rgb = new Uint8Array(data.length * 3);
  for (let i = 0; i < data.length; i++) {
    const value = Number(data[i]);
    const index = classes === 1 ? (value > 0 ? 1 : 0) : value;
    const colour = colours[index];
    if (colour === undefined) throw new RangeError(`${name}: value ${value} at ${i} is not a class index below ${classes} (classes)`);
    rgb.set(colour, 3 * i);
  }
  return rgb;
}

/** A mask as PNG bytes: grey 0/255 for one class, palette colours or class indices for more. */
export async function encodeMask(mask: TensorLike, options: WriteMaskOptions): Promise<Buffer> {
  const { classes, format = 'palette' } = checkOptions<WriteMaskOptions>(options, 'options', {
    classes: integer(1, 256),
    format: oneOf('palette', 'indices'),
  });
  integer(1, 256)(classes, 'options.classes');
  const { data, height, width } = maskPlane(mask, 'mask');
  // A uint8 binary mask, as predict returns it: sharp makes any value above 0 white itself, off the event loop.
  if (classes === 1 && data instanceof Uint8Array) {
    return sharp(data, { raw: { width, height, channels: 1 } }).threshold(1).toColourspace('b-w').png().toBuffer();
  }
  let pixels: Uint8Array;
  let channels: 1 | 3 = 1;
  if (classes > 1 && format === 'palette') {
    pixels = colourise(data, classes, 'mask');
    channels = 3;
  } else {
    pixels = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const value = Number(data[i]);
      if (classes === 1) pixels[i] = value > 0 ? 255 : 0;
      else if (Number.isInteger(value) && value >= 0 && value < classes) pixels[i] = value;
      else throw new RangeError(`mask: value ${value} at ${i} is not a class index below ${classes} (classes)`);
    }
  }
  // Without b-w, sharp writes one channel as RGB.
  const image = sharp(pixels, { raw: { width, height, channels } });
  return (channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer();
}

/** Writes a mask as a PNG (encodeMask), atomically. */
export async function writeMask(path: string, mask: TensorLike, options: WriteMaskOptions): Promise<void> {
  checkPath(path, 'path');
  await writeFileAtomic(path, await encodeMask(mask, options));
}
