// A segmentation data set in memory, as fit and evaluate take it, with the names of its images.
import { takeBatch, type Tensor } from '../tensor.js';
import { checkOptions, number, seedCheck, typeError } from '../validate.js';
import { permutation, seededRandom } from './random.js';

export interface Dataset {
  /** float32 N x C x H x W in [0, 1]. */
  images: Tensor<Float32Array>;
  /** uint8 N x 1 x H x W class indices (0/1 for one class). */
  masks: Tensor<Uint8Array>;
  /** One name per image: the file stem, or `shape-00042` for synthetic sets. */
  names: string[];
  channels: number;
  /** As UNet's `classes`: 1 = binary, K >= 2 = K classes with background as class 0. */
  classes: number;
}

export interface SplitOptions {
  /** The fraction of the images held out, in (0, 1); at least one image goes each way. */
  validation: number;
  /** Default 0: the same seed gives the same split. */
  seed?: number;
}

/** The images at `indices` (in that order), copied. */
export function subsetDataset(dataset: Dataset, indices: readonly number[]): Dataset {
  return {
    images: takeBatch(dataset.images, indices),
    masks: takeBatch(dataset.masks, indices),
    names: indices.map((index) => dataset.names[index]),
    channels: dataset.channels,
    classes: dataset.classes,
  };
}

/** A seeded, reproducible split into training and validation images; each keeps the data set's order. */
export function splitDataset(dataset: Dataset, options: SplitOptions): { train: Dataset; validation: Dataset } {
  checkDataset(dataset, 'dataset');
  const { validation, seed = 0 } = checkOptions<SplitOptions>(options, 'options', {
    validation: number(0, 1, { minExclusive: true, maxExclusive: true }),
    seed: seedCheck,
  });
  if (validation === undefined) throw typeError('options.validation', 'a fraction in (0, 1)', validation);
  const count = dataset.images.shape[0];
  if (count < 2) throw new RangeError(`dataset: expected at least 2 images to split, got ${count}`);
  const held = Math.min(count - 1, Math.max(1, Math.round(count * validation)));
  const indices = splitIndices(count, held, seed);
  return { train: subsetDataset(dataset, indices.train), validation: subsetDataset(dataset, indices.validation) };
}

/** The one seeded split (splitDataset's and fit's validationSplit): `held` of `count` images, each part in order. */
export function splitIndices(count: number, held: number, seed: number): { train: number[]; validation: number[] } {
  const order = permutation(count, seededRandom(seed));
  const byIndex = (a: number, b: number) => a - b;
  return { train: order.slice(held).sort(byIndex), validation: order.slice(0, held).sort(byIndex) };
}

function checkDataset(value: unknown, name: string): asserts value is Dataset {
  const dataset = value as Partial<Dataset> | null;
  const images = dataset?.images;
  const masks = dataset?.masks;
  if (!(images?.data instanceof Float32Array) || images.shape?.length !== 4) {
    throw typeError(`${name}.images`, 'float32 N x C x H x W images', images);
  }
  if (!(masks?.data instanceof Uint8Array) || masks.shape?.length !== 4 || masks.shape[0] !== images.shape[0]) {
    throw typeError(`${name}.masks`, 'uint8 N x 1 x H x W masks', masks);
  }
  if (!Array.isArray(dataset?.names) || dataset.names.length !== images.shape[0]) {
    throw typeError(`${name}.names`, `${images.shape[0]} names`, dataset?.names);
  }
}
