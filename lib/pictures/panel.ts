// Pictures for people: panels of input | truth | prediction, masks drawn over images, and training curves.
import sharp, { type OverlayOptions as Composite } from 'sharp';

import { writeFileAtomic, checkPath } from '../files.js';
import { colourise, maskPlane } from '../data/image_io.js';
import { palette, type Colour } from './palette.js';
import { checkTensor, type TensorLike } from '../tensor.js';
import type { EpochLogs } from '../training/fit.js';
import { checkOptions, integer, number, boolean as booleanCheck, typeError } from '../validate.js';

export { palette, hexColour, type Colour } from './palette.js';

/** Where writePanel puts things, in output pixels: a header of column names, then cells between gaps. */
export const PANEL_LAYOUT = { header: 20, gap: 4, background: [255, 255, 255] as Colour };

interface RgbPicture {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/**
 * A C x H x W or 1 x C x H x W float image as 8-bit RGB: one channel is grey, three are RGB, four drop the alpha.
 * Values in [0, 1] are kept; an image with values outside (standardised, say) is stretched from its min to its max.
 */
function imageToRgb(value: unknown, name: string): RgbPicture {
  const image = checkTensor(value, name);
  const shape = image.shape.length === 4 && image.shape[0] === 1 ? image.shape.slice(1) : image.shape;
  if (shape.length !== 3 || ![1, 3, 4].includes(shape[0])) {
    throw new RangeError(`${name}: expected a C x H x W or 1 x C x H x W image with 1, 3 or 4 channels, got shape [${image.shape.join(', ')}]`);
  }
  const [channels, height, width] = shape;
  const plane = height * width;
  const data = image.data;
  let low = 0;
  let high = 1;
  for (let i = 0; i < channels * plane; i++) {
    const v = Number(data[i]);
    if (!Number.isFinite(v)) throw new RangeError(`${name}: value ${v} at ${i} is not finite`);
    if (v < 0 || v > 1) {
      let min = Infinity;
      let max = -Infinity;
      for (let j = 0; j < channels * plane; j++) [min, max] = [Math.min(min, Number(data[j])), Math.max(max, Number(data[j]))];
      [low, high] = [min, max > min ? max : min + 1];
      break;
    }
  }
  const rgb = new Uint8Array(plane * 3);
  for (let pixel = 0; pixel < plane; pixel++) {
    for (let c = 0; c < 3; c++) {
      const v = Number(data[(channels === 1 ? 0 : c) * plane + pixel]);
      rgb[pixel * 3 + c] = Math.round((255 * (v - low)) / (high - low));
    }
  }
  return { rgb, width, height };
}

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
 * A PNG of one row an image: input | truth | prediction (the truth column only when some row has one), classes
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

export interface OverlayOptions {
  classes: number;
  /** Opacity of the colour fill, 0 (contour only) to 1. Default 0.4. */
  alpha?: number;
  /** Draw each region's boundary in its full colour. Default true. */
  contour?: boolean;
}

/**
 * A PNG (Buffer) of the image with the mask over it: each class but background filled in its palette colour at
 * `alpha`, its boundary pixels (those with a 4-neighbour of another class) in full colour.
 */
export async function overlay(image: TensorLike, mask: TensorLike, options: OverlayOptions): Promise<Buffer> {
  const { classes, alpha = 0.4, contour = true } = checkOptions<OverlayOptions>(options, 'options', {
    classes: integer(1, 256),
    alpha: number(0, 1),
    contour: booleanCheck,
  });
  integer(1, 256)(classes, 'options.classes');
  const { rgb, width, height } = imageToRgb(image, 'image');
  const plane = maskPlane(mask, 'mask');
  if (plane.width !== width || plane.height !== height) {
    throw new RangeError(`mask: expected a ${height} x ${width} mask to match the image, got ${plane.height} x ${plane.width}`);
  }
  const colours = palette(classes);
  const labels = new Int32Array(width * height);
  for (let i = 0; i < labels.length; i++) {
    const value = Number(plane.data[i]);
    labels[i] = classes === 1 ? (value > 0 ? 1 : 0) : value;
    if (!(labels[i] >= 0 && labels[i] < colours.length && Number.isInteger(value))) {
      throw new RangeError(`mask: value ${value} at ${i} is not a class index below ${classes} (classes)`);
    }
  }
  const out = new Uint8Array(rgb);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * width + x;
      const label = labels[at];
      if (label === 0) continue;
      const edge =
        contour &&
        ((x > 0 && labels[at - 1] !== label) || (x < width - 1 && labels[at + 1] !== label) || (y > 0 && labels[at - width] !== label) || (y < height - 1 && labels[at + width] !== label));
      const weight = edge ? 1 : alpha;
      for (let c = 0; c < 3; c++) out[at * 3 + c] = Math.round((1 - weight) * rgb[at * 3 + c] + weight * colours[label][c]);
    }
  }
  return sharp(out, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** The training curves as an SVG: loss (and validation loss) per epoch above, validation Dice and IoU below. */
export async function curves(history: readonly EpochLogs[]): Promise<string> {
  if (!Array.isArray(history) || history.length === 0) throw typeError('history', 'a non-empty array of epoch logs (from fit)', history);
  const rows: Array<{ epoch: number; series: string; value: number; panel: 'loss' | 'score' }> = [];
  history.forEach((logs, index) => {
    if (typeof logs?.epoch !== 'number' || typeof logs.loss !== 'number') throw typeError(`history[${index}]`, 'epoch logs with epoch and loss', logs);
    const add = (series: keyof EpochLogs, panel: 'loss' | 'score') => {
      const value = logs[series];
      if (typeof value === 'number' && Number.isFinite(value)) rows.push({ epoch: logs.epoch, series, value, panel });
    };
    add('loss', 'loss');
    add('valLoss', 'loss');
    add('valDice', 'score');
    add('valIoU', 'score');
  });
  const line = (panel: 'loss' | 'score', title: string) => ({
    width: 480,
    height: 180,
    title,
    transform: [{ filter: `datum.panel === '${panel}'` }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: panel === 'loss' ? 'loss' : 'score', ...(panel === 'score' ? { scale: { domain: [0, 1] } } : { scale: { zero: false } }) },
      color: { field: 'series', type: 'nominal', title: null },
    },
  });
  const panels = [line('loss', 'Loss')];
  if (rows.some(({ panel }) => panel === 'score')) panels.push(line('score', 'Validation Dice and IoU'));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    vconcat: panels,
    resolve: { scale: { color: 'independent' } },
    config: { font: 'DejaVu Sans, sans-serif', background: 'white' },
  };
  // Loaded on first use: vega is large, and most programs never draw a curve.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec as never).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes curves(history) to `path`, atomically. */
export async function writeCurves(path: string, history: readonly EpochLogs[]): Promise<void> {
  checkPath(path, 'path');
  await writeFileAtomic(path, await curves(history));
}
