// Images as 8-bit RGB pictures, the form panels and overlays draw on.
import { checkTensor, shapeText } from '../tensor.js';

export interface RgbPicture {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/**
 * A C x H x W or 1 x C x H x W image as 8-bit RGB: one channel is grey, three are RGB, four drop the alpha.
 * uint8 pixels are drawn as they are; float values in [0, 1] are kept, and an image with values outside
 * (standardised, say) is stretched from its min to its max.
 */
export function imageToRgb(value: unknown, name: string): RgbPicture {
  const image = checkTensor(value, name);
  const shape = image.shape.length === 4 && image.shape[0] === 1 ? image.shape.slice(1) : image.shape;
  if (shape.length !== 3 || ![1, 3, 4].includes(shape[0])) {
    throw new RangeError(`${name}: expected a C x H x W or 1 x C x H x W image with 1, 3 or 4 channels, got shape ${shapeText(image.shape)}`);
  }
  const [channels, height, width] = shape;
  const plane = height * width;
  const data = image.data;
  let low = 0;
  let high = data instanceof Uint8Array ? 255 : 1;
  for (let i = 0; high === 1 && i < channels * plane; i++) {
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
