// Augmentation options for fit. The transforms run natively, batched, on the model's device
// (native/augment.cc): geometric ones move images and masks together (masks by nearest sampling, so labels
// stay labels); intensity ones touch the images only.
import { nativeDefaults } from '../binding/defaults.js';
import { native } from '../binding/loader.js';
import { checkImages, checkTensor, shapeText, type Tensor, type TensorLike } from '../tensor.js';

export interface AugmentOptions {
  /** Probability of a left-right flip of each image. Default 0 (off), as for every transform. */
  horizontalFlip?: number;
  /** Probability of an up-down flip. Default 0. */
  verticalFlip?: number;
  /** Probability of a rotation by a random multiple of 90 degrees (180 only for non-square images). Default 0. */
  rotate90?: number;
  /** Probability of a random affine transform (rotation, scale, translation). Default 0. */
  affine?: number;
  /** Affine rotation range in degrees, [-r, r]. Default 15. */
  rotationDegrees?: number;
  /** Affine scale range, lower end. Default 0.9. */
  scaleMin?: number;
  /** Affine scale range, upper end. Default 1.1. */
  scaleMax?: number;
  /** Affine shift range as a fraction of the height and width. Default 0.1. */
  translateFraction?: number;
  /** Probability of the U-Net paper's elastic deformation. Default 0. */
  elastic?: number;
  /** Standard deviation of the coarse-grid displacements, in pixels. Default 10 (the paper's). */
  elasticSigmaPixels?: number;
  /** The coarse grid is N x N. Default 3 (the paper's). */
  elasticGridPoints?: number;
  /** Probability of a brightness shift of up to ±brightnessRange image standard deviations. Default 0. */
  brightness?: number;
  /** Default 0.1. */
  brightnessRange?: number;
  /** Probability of a contrast change by a factor in [contrastMin, contrastMax]. Default 0. */
  contrast?: number;
  /** Default 0.8. */
  contrastMin?: number;
  /** Default 1.2. */
  contrastMax?: number;
  /** Probability of a gamma change in [gammaMin, gammaMax] on the min-max normalised image. Default 0. */
  gamma?: number;
  /** Default 0.8. */
  gammaMin?: number;
  /** Default 1.25. */
  gammaMax?: number;
  /** Probability of Gaussian noise of noiseStd image standard deviations. Default 0. */
  noise?: number;
  /** Default 0.05. */
  noiseStd?: number;
}

/** What `augment: true` means: every transform's probability and parameters, as the core defines them. */
export const defaultAugment: Readonly<AugmentOptions> = Object.freeze({ ...nativeDefaults.augmentTrue });

/**
 * The augmentation fit applies, on its own: to preview it, or to augment data for another pipeline. `masks`
 * is N x K x H x W (class indices or one-hot) matching the images; the same seed gives the same result.
 */
export async function augment(
  images: TensorLike,
  masks: TensorLike,
  options: boolean | AugmentOptions = true,
  seed?: number,
): Promise<{ images: Tensor; masks: Tensor }> {
  const checkedImages = checkImages(images, 'images');
  const checkedMasks = checkTensor(masks, 'masks');
  const [n, , h, w] = checkedImages.shape;
  const [mn, , mh, mw] = checkedMasks.shape;
  if (checkedMasks.shape.length !== 4 || mn !== n || mh !== h || mw !== w) {
    throw new RangeError(`masks: expected shape [${n}, K, ${h}, ${w}] to match the images, got ${shapeText(checkedMasks.shape)}`);
  }
  return native.augment(checkedImages, checkedMasks, options, seed);
}
