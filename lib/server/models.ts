// A served model: its metadata, and its predictions queued through one PredictBatcher per model (so the queue
// depth and the batch sizes are the server's to see), with large images predicted in sliding windows.
import { PredictBatcher } from '../inference/batcher.js';
import type { PredictOptions } from '../inference/predict.js';
import { hexColour, palette } from '../pictures/palette.js';
import type { UNet } from '../model/unet.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { HttpError } from './errors.js';
import type { ServeSettings, ServedModelOptions } from './options.js';

export type Output = 'mask' | 'probabilities' | 'logits';
export const OUTPUTS: readonly Output[] = ['mask', 'probabilities', 'logits'];

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
  parameters: {
    inChannels: number;
    classes: number;
    classNames: string[];
    /** The colour of each mask value in masks and overlays ('#rrggbb'). */
    classColours: string[];
    /** Height and width: at least minSize; any size is accepted (padded inside), above tileSize in windows. */
    minSize: number;
    tileSize: number;
    maxImagePixels: number;
    precision: string;
    tta: string;
  };
}

function defaultClassNames(classes: number): string[] {
  if (classes === 1) return ['background', 'foreground'];
  return Array.from({ length: classes }, (_, index) => (index === 0 ? 'background' : `class ${index}`));
}

export class ServedModel {
  readonly model: UNet;
  readonly classNames: string[];
  readonly batcher = new PredictBatcher();
  readonly metadata: ModelMetadata;

  constructor(
    readonly name: string,
    served: ServedModelOptions,
    private readonly settings: ServeSettings,
    private readonly onBatch: (model: string, images: number) => void,
  ) {
    this.model = served.model;
    const { inChannels, classes, depth } = this.model.config;
    this.classNames = served.classNames ?? defaultClassNames(classes);
    this.metadata = {
      name,
      versions: ['1'],
      platform: 'torch-unet',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, inChannels, -1, -1] }],
      outputs: [
        { name: 'mask', datatype: 'UINT8', shape: [-1, 1, -1, -1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, classes, -1, -1] },
        { name: 'logits', datatype: 'FP32', shape: [-1, classes, -1, -1] },
      ],
      parameters: {
        inChannels,
        classes,
        classNames: this.classNames,
        classColours: palette(classes).map(hexColour),
        minSize: 2 ** depth,
        tileSize: settings.tileSize,
        maxImagePixels: settings.maxImagePixels,
        precision: settings.precision ?? 'fp32',
        tta: settings.tta ?? 'none',
      },
    };
  }

  /** Refuses, as a 400, images the network cannot take: checked before queueing, so a batch never fails for one caller. */
  checkImages(images: TensorLike, name: string): void {
    const { inChannels } = this.model.config;
    const { minSize, maxImagePixels } = this.metadata.parameters;
    const [count, channels, height, width] = images.shape;
    if (images.shape.length !== 4 || count < 1) throw new HttpError(400, `${name}: expected N x C x H x W with N >= 1, got [${images.shape.join(', ')}]`);
    if (channels !== inChannels) throw new HttpError(400, `${name}: expected ${inChannels} channel(s) for model '${this.name}', got ${channels}`);
    if (height < minSize || width < minSize) throw new HttpError(400, `${name}: expected height and width of at least ${minSize}, got ${height} x ${width}`);
    if (height * width > maxImagePixels) throw new HttpError(413, `${name}: ${width} x ${height} pixels exceed the limit of ${maxImagePixels} per image`);
  }

  /**
   * Queues one prediction; the signal (timeout or client gone) drops it while it waits. `standardise`: the
   * images are decoded pixels, standardised natively (predict's option).
   */
  predict(images: TensorLike, output: Output, signal: AbortSignal, standardise = false): Promise<Tensor> {
    const [, , height, width] = images.shape;
    const { tileSize, precision, tta, batching } = this.settings;
    const options: PredictOptions = { output, precision, tta, standardise };
    if (height > tileSize || width > tileSize) options.tile = { size: tileSize };
    const key = JSON.stringify([options, images.shape.slice(1)]);
    return this.batcher.predict(
      key,
      images,
      batching,
      (batch) => {
        this.onBatch(this.name, batch.shape[0]);
        return this.model.predict(batch, options);
      },
      signal,
    );
  }
}
