// POST /v1/models/:name/segment: an image file in (raw body or multipart), a PNG mask, a PNG overlay or JSON
// with the pixels of each class out. The image is decoded in memory: nothing reaches the file system.
import { decodePixels, encodeMask, type Channels } from '../data/image_io.js';
import { overlay } from '../pictures/overlay.js';
import { tensor } from '../tensor.js';
import { HttpError } from './errors.js';
import type { ServedModel } from './models.js';

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/tiff', 'image/webp'];

export type SegmentOutput = 'mask' | 'overlay' | 'json';
export const SEGMENT_OUTPUTS: readonly SegmentOutput[] = ['mask', 'overlay', 'json'];

export interface ClassArea {
  index: number;
  name: string;
  pixels: number;
  /** Of the image's pixels. */
  fraction: number;
}

export interface SegmentSummary {
  model: string;
  width: number;
  height: number;
  classes: ClassArea[];
}

/** `?output=` first, else a PNG mask when Accept asks for image/png before JSON, else JSON. */
export function segmentOutput(query: unknown, accept: string | undefined): SegmentOutput {
  const asked = (query as { output?: unknown } | undefined)?.output;
  if (asked !== undefined) {
    if (!SEGMENT_OUTPUTS.includes(asked as SegmentOutput)) {
      throw new HttpError(400, `output: expected one of ${SEGMENT_OUTPUTS.join(', ')}, got ${JSON.stringify(asked)}`);
    }
    return asked as SegmentOutput;
  }
  const png = accept?.indexOf('image/png') ?? -1;
  const json = accept?.indexOf('application/json') ?? -1;
  return png >= 0 && (json < 0 || png < json) ? 'mask' : 'json';
}

/** The format by the file's first bytes, as image decoders tell them apart; undefined for any other. */
function sniff(bytes: Buffer): string | undefined {
  const starts = (...values: number[]) => values.every((value, i) => bytes[i] === value);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return undefined;
}

/**
 * The image's pixels (uint8 C x H x W). The format is read from the bytes (the content type can lie); sharp checks
 * maxImagePixels from the header, before it decodes anything (a decompression bomb stops there).
 */
async function decode(bytes: Buffer, channels: Channels, maxImagePixels: number) {
  if (!sniff(bytes)) throw new HttpError(415, 'body: not a PNG, JPEG, TIFF or WebP image (its first bytes are none of theirs)');
  try {
    return await decodePixels(bytes, channels, { kind: 'whole' }, maxImagePixels);
  } catch (error) {
    const message = (error as Error).message;
    if (/exceeds pixel limit/.test(message)) throw new HttpError(413, `body: the image has more than maxImagePixels = ${maxImagePixels} pixels`);
    throw new HttpError(400, `body: the image cannot be decoded (${message})`);
  }
}

function areas(served: ServedModel, mask: Uint8Array, width: number, height: number): SegmentSummary {
  const pixels = new Array<number>(served.classNames.length).fill(0);
  for (const value of mask) pixels[value]++;
  return {
    model: served.name,
    width,
    height,
    classes: served.classNames.map((name, index) => ({ index, name, pixels: pixels[index], fraction: pixels[index] / mask.length })),
  };
}

/** Segments one image file as the CLI's predict does (standardised, at its own size), in the form asked for. */
export async function segment(
  served: ServedModel,
  bytes: Buffer,
  output: SegmentOutput,
  signal: AbortSignal,
): Promise<{ type: string; body: Buffer | SegmentSummary }> {
  const channels = served.model.config.inChannels as Channels;
  const { data, width, height } = await decode(bytes, channels, served.metadata.parameters.maxImagePixels);
  const image = tensor(data, [1, channels, height, width]);
  served.checkImages(image, 'body');
  // The pixels as decoded: the compute thread standardises them.
  const mask = await served.predict(image, 'mask', signal, true);
  const { classes } = served.model.config;
  if (output === 'mask') return { type: 'image/png', body: await encodeMask(mask, { classes }) };
  if (output === 'overlay') return { type: 'image/png', body: await overlay(image, mask, { classes }) };
  return { type: 'application/json', body: areas(served, mask.data as Uint8Array, width, height) };
}
