// The normalisation the CLI applies to images in training and prediction alike: each image's channels standardised
// to mean 0 and standard deviation 1, so that dim and bright images look alike to the network.
import { checkImages, tensor, type Tensor, type TensorLike } from '../tensor.js';

/** A float32 copy of N x C x H x W images with each image's channels at mean 0, standard deviation 1. */
export function standardise(images: TensorLike): Tensor<Float32Array> {
  const { data, shape } = checkImages(images, 'images');
  const [count, channels, height, width] = shape;
  const plane = height * width;
  const out = Float32Array.from(data as ArrayLike<number>, Number);
  for (let index = 0; index < count * channels; index++) {
    const pixels = out.subarray(index * plane, (index + 1) * plane);
    let sum = 0;
    for (const value of pixels) sum += value;
    const mean = sum / plane;
    let squares = 0;
    for (const value of pixels) squares += (value - mean) ** 2;
    // A flat channel (std 0) only loses its offset.
    const std = Math.sqrt(squares / plane) || 1;
    for (let i = 0; i < plane; i++) pixels[i] = (pixels[i] - mean) / std;
  }
  return tensor(out, shape);
}
