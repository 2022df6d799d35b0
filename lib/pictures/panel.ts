// Panels for people: one row per image, input | truth | prediction, classes in the palette's colours.
import sharp, { type OverlayOptions as Composite } from 'sharp';

import { colourise, maskPlane } from '../data/image_io.js';
import { checkPath, writeFileAtomic } from '../files.js';
import type { TensorLike } from '../tensor.js';
import { checkOptions, integer, typeError } from '../validate.js';
import type { Colour } from './palette.js';
import { imageToRgb, type RgbPicture } from './rgb.js';

/** Where writePanel puts things, in output pixels: a header of column names, then cells between gaps. */
export const PANEL_LAYOUT = { header: 20, gap: 4, background: [255, 255, 255] as Colour };

function maskToRgb(value: unknown, name: string, classes: number, width: number, height: number): RgbPicture {
  const mask = maskPlane(value, name);
  if (mask.width !== width || mask.height !== height) {
    throw new RangeError(`${name}: expected a ${height} x ${width} mask to match the image, got ${mask.height} x ${mask.width}`);
  }
  return { rgb: colourise(mask.data, classes, name), width, height };
}

/** Nearest-neighbour upscaling by an integer factor: pixels stay crisp, classes stay classes. */
function upscale({ rgb, width, height }: RgbPicture, scale: number): RgbPicture {
  if (scale === 1) return { rgb, width, height };
  const out = new Uint8Array(rgb.length * scale * scale);
  const outWidth = width * scale;
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < outWidth; x++) {
      const from = (Math.floor(y / scale) * width + Math.floor(x / scale)) * 3;
      out.set(rgb.subarray(from, from + 3), (y * outWidth + x) * 3);
    }
  }
  return { rgb: out, width: outWidth, height: height * scale };
}

export interface PanelRow {
  /** C x H x W or 1 x C x H x W, float in [0, 1] (other ranges are stretched). */
  image: TensorLike;
  /** The ground truth: class indices, H x W or 1 x 1 x H x W. */
  truth?: TensorLike;
  /** The model's class indices, as `truth`. */
  prediction: TensorLike;
}

export interface PanelOptions {
  /** As UNet's: 1 = binary. */
  classes: number;
  /** Integer upscaling (nearest). Default: the smallest that makes the largest image at least 128 pixels high. */
  scale?: number;
}

const xmlEscape = (text: string) => text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] as string);

/**
 * A PNG of one row per image: input | truth | prediction (the truth column only when some row has one), classes
 * in the palette's colours, written atomically. Cells sit `gap` pixels apart under a header naming the columns.
 */
export async function writePanel(path: string, rows: PanelRow[], options: PanelOptions): Promise<void> {
  checkPath(path, 'path');
  const { classes, scale: givenScale } = checkOptions<PanelOptions>(options, 'options', { classes: integer(1, 256), scale: integer(1, 64) });
  integer(1, 256)(classes, 'options.classes');
  if (!Array.isArray(rows) || rows.length === 0) throw typeError('rows', 'a non-empty array of { image, truth?, prediction }', rows);
  const pictures = rows.map((row, index) => {
    const input = imageToRgb(row?.image, `rows[${index}].image`);
    const { width, height } = input;
    const truth = row.truth === undefined ? undefined : maskToRgb(row.truth, `rows[${index}].truth`, classes, width, height);
    return { input, truth, prediction: maskToRgb(row.prediction, `rows[${index}].prediction`, classes, width, height) };
  });
  const largest = Math.max(...pictures.map(({ input }) => Math.max(input.width, input.height)));
  const scale = givenScale ?? Math.max(1, Math.ceil(128 / largest));
  const withTruth = pictures.some(({ truth }) => truth !== undefined);
  const titles = withTruth ? ['input', 'truth', 'prediction'] : ['input', 'prediction'];
  const { header, gap } = PANEL_LAYOUT;
  const cellWidth = Math.max(...pictures.map(({ input }) => input.width)) * scale;
  const width = gap + titles.length * (cellWidth + gap);
  const composites: Composite[] = [];
  let top = header;
  for (const { input, truth, prediction } of pictures) {
    const cells = withTruth ? [input, truth, prediction] : [input, prediction];
    cells.forEach((cell, column) => {
      if (!cell) return;
      const big = upscale(cell, scale);
      composites.push({ input: Buffer.from(big.rgb.buffer, big.rgb.byteOffset, big.rgb.byteLength), raw: { width: big.width, height: big.height, channels: 3 }, left: gap + column * (cellWidth + gap), top });
    });
    top += input.height * scale + gap;
  }
  const labels = titles
    .map((title, column) => `<text x="${gap + column * (cellWidth + gap) + cellWidth / 2}" y="${header - 6}" text-anchor="middle">${xmlEscape(title)}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${header}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#333">${labels}</svg>`;
  composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  const [red, green, blue] = PANEL_LAYOUT.background;
  const png = await sharp({ create: { width, height: top, channels: 3, background: { r: red, g: green, b: blue } } })
    .composite(composites)
    .png()
    .toBuffer();
  await writeFileAtomic(path, png);
}
