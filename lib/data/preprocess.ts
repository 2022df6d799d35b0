// The normalisation the CLI applies to images in training and prediction alike: each image's channels standardised
// to mean 0 and standard deviation 1, so that dim and bright images look alike to the network.
import { checkImages, tensor, type Tensor, type TensorLike } from '../tensor.js';

/** A float32 copy of N x C x H x W images with each image's channels at mean 0, standard deviation 1. */
export function standardise(images: TensorLike): Tensor<Float32Array> {
  const { data, shape } = checkImages(images, 'images');
  const [count, channels, height, width] = shape;
  const plane = height * width;
  // Indexed loops over one typed array: a server runs this on its event loop for every request.
  const out = data instanceof BigInt64Array ? Float32Array.from(data, Number) : new Float32Array(data);
  for (let start = 0; start < count * channels * plane; start += plane) {
    const end = start + plane;
    let sum = 0;
    for (let i = start; i < end; i++) sum += out[i];
    const mean = sum / plane;
    let squares = 0;
    for (let i = start; i < end; i++) squares += (out[i] - mean) ** 2;
    // A flat channel (std 0) only loses its offset.
    const std = Math.sqrt(squares / plane) || 1;
    for (let i = start; i < end; i++) out[i] = (out[i] - mean) / std;
  }
  return tensor(out, shape);
}
