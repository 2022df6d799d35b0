// A mask drawn over its image: each class filled in its palette colour, its boundary in full colour.
import sharp from 'sharp';

import { maskPlane } from '../data/image_io.js';
import type { TensorLike } from '../tensor.js';
import { boolean as booleanCheck, checkOptions, integer, number } from '../validate.js';
import { palette } from './palette.js';
import { imageToRgb } from './rgb.js';

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
